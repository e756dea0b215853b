import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { SqlDatabase } from '../database/sql-database';
import { SqliteDatabase } from '../database/sqlite.database';

/** A SQL statement parameter. */
export type SqlValue = string | number | bigint | null | Buffer;

/**
 * The synchronous better-sqlite3 handle of the embedded database, for the repositories not yet moved
 * onto the async {@link SqlDatabase} port (the port's SQLite adapter opens and migrates the file; both
 * share its one connection). Closes the port last: every module's onModuleDestroy (the job worker
 * requeues its jobs there) may still write.
 */
@Injectable()
export class DatabaseRepository implements OnApplicationShutdown {
  readonly db: SqliteDatabase['handle'];

  constructor(private readonly sql: SqlDatabase) {
    if (!(sql instanceof SqliteDatabase)) {
      throw new Error('DatabaseRepository needs the SQLite adapter; a repository still on it cannot run with DATABASE_URL');
    }
    this.db = sql.handle;
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sql.close();
  }
}
