import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from './config.repository';
import { MIGRATIONS } from './migrations';

/** A SQL statement parameter. */
export type SqlValue = string | number | bigint | null | Buffer;

/**
 * The embedded SQLite database (one file in DATA_DIR). Opened and migrated in the constructor so that
 * every repository can prepare statements at construction time. WAL + synchronous=FULL: a job state
 * written here survives a kill -9 of the server (the durability the job queue relies on).
 */
@Injectable()
export class DatabaseRepository implements OnApplicationShutdown {
  readonly db: Database.Database;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    mkdirSync(dirname(config.databasePath), { recursive: true });
    this.db = new Database(config.databasePath);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
  }

  /** Applies the migrations newer than `PRAGMA user_version`, each in its own transaction. */
  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    for (const [index, sql] of MIGRATIONS.entries()) {
      const version = index + 1;
      if (version <= current) continue;
      this.db.transaction(() => {
        this.db.exec(sql);
        this.db.pragma(`user_version = ${version}`);
      })();
    }
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  /** Last: every module's onModuleDestroy (the job worker requeues its jobs there) may still write. */
  onApplicationShutdown(): void {
    if (this.db.open) this.db.close();
  }
}
