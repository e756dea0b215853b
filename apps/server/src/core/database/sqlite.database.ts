import Database from 'better-sqlite3';
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseError, DatabaseUniqueViolationError } from './database.errors';
import { SessionLock, SqlDatabase, SqlExecutor, SqlValue } from './sql-database';

const noop = () => undefined;

type Statement = Database.Statement<unknown[], unknown>;

/** better-sqlite3 binds numbers, bigints, strings, null and Buffers: booleans become 0/1, views Buffers. */
function bind(params: readonly SqlValue[]): unknown[] {
  return params.map((p) => {
    if (typeof p === 'boolean') return p ? 1 : 0;
    if (p instanceof Uint8Array && !Buffer.isBuffer(p)) return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    return p;
  });
}

function translate(error: unknown): unknown {
  const code = (error as { code?: string }).code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new DatabaseUniqueViolationError(`Unique constraint violated: ${(error as Error).message.replace(/^UNIQUE constraint failed: /, '')}`, { cause: error });
  }
  return error;
}

/**
 * The embedded adapter: one SQLite file in DATA_DIR through better-sqlite3 (synchronous calls, so each
 * statement is atomic on the event loop). WAL + synchronous=FULL: a job state written here survives a
 * kill -9 of the server (the durability the job queue relies on).
 * One connection: while a transaction is open, statements issued outside it wait for it to end, or
 * they would run inside it.
 */
export class SqliteDatabase extends SqlDatabase {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, Statement>();
  /** Settles when the open transaction ends; undefined when none is open. */
  private open: Promise<unknown> | undefined;
  /** Set inside a transaction's work: a statement on the database itself from there would wait forever. */
  private readonly insideTransaction = new AsyncLocalStorage<true>();
  /** Locks held (tryLock): the file has one process, so exclusion within it is all there is to give. */
  private readonly locks = new Set<string>();

  private constructor(readonly handle: Database.Database) {
    super();
  }

  /**
   * Opens (creating it and its folder) and migrates the database file.
   * @param migrations entry i brings the schema to version i + 1 (`PRAGMA user_version`).
   */
  static open(path: string, migrations: readonly string[]): SqliteDatabase {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const handle = new Database(path);
    handle.pragma('journal_mode = WAL');
    handle.pragma('synchronous = FULL');
    handle.pragma('foreign_keys = ON');
    handle.pragma('busy_timeout = 5000');
    const database = new SqliteDatabase(handle);
    database.migrate(migrations);
    return database;
  }

  /** Applies the migrations newer than `PRAGMA user_version`, each in its own transaction. */
  private migrate(migrations: readonly string[]): void {
    const current = this.handle.pragma('user_version', { simple: true }) as number;
    if (current > migrations.length) {
      throw new DatabaseError(`The database schema is at version ${current}, newer than this server's ${migrations.length}: run the newer server`);
    }
    for (const [index, sql] of migrations.entries()) {
      const version = index + 1;
      if (version <= current) continue;
      this.handle.transaction(() => {
        this.handle.exec(sql);
        this.handle.pragma(`user_version = ${version}`);
      })();
    }
  }

  async schemaVersion(): Promise<number> {
    return this.handle.pragma('user_version', { simple: true }) as number;
  }

  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.handle.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  // The executor of the connection itself; the public methods wait for an open transaction first.
  private readonly direct: SqlExecutor = {
    all: async <T>(sql: string, params: readonly SqlValue[] = []) => {
      try {
        return this.statement(sql).all(...bind(params)) as T[];
      } catch (error) {
        throw translate(error);
      }
    },
    one: async <T>(sql: string, params: readonly SqlValue[] = []) => {
      try {
        return this.statement(sql).get(...bind(params)) as T | undefined;
      } catch (error) {
        throw translate(error);
      }
    },
    run: async (sql: string, params: readonly SqlValue[] = []) => {
      try {
        return { changes: this.statement(sql).run(...bind(params)).changes };
      } catch (error) {
        throw translate(error);
      }
    },
  };

  async all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    this.refuseInsideTransaction();
    // The check and what follows run in one synchronous step: nothing can open a transaction in between.
    while (this.open) await this.open.catch(noop);
    return this.direct.all<T>(sql, params);
  }

  async one<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    this.refuseInsideTransaction();
    while (this.open) await this.open.catch(noop);
    return this.direct.one<T>(sql, params);
  }

  async run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    this.refuseInsideTransaction();
    while (this.open) await this.open.catch(noop);
    return this.direct.run(sql, params);
  }

  override async runVolatile(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    this.refuseInsideTransaction();
    while (this.open) await this.open.catch(noop);
    // One synchronous step: no other statement can commit at NORMAL in between. direct.run executes the
    // statement before it returns its promise, so FULL is back before any other code (a microtask
    // awaiting here would let another caller's statement commit at NORMAL). Every other commit stays
    // FULL, and its WAL fsync also makes this one durable (the WAL is written in order).
    this.handle.pragma('synchronous = NORMAL');
    let result: Promise<{ changes: number }>;
    try {
      result = this.direct.run(sql, params);
    } finally {
      this.handle.pragma('synchronous = FULL');
    }
    return result;
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    this.refuseInsideTransaction();
    while (this.open) await this.open.catch(noop);
    const body = (async () => {
      // IMMEDIATE takes the write lock now: another process writing the same file waits (busy_timeout)
      // instead of failing half-way with SQLITE_BUSY.
      this.handle.exec('BEGIN IMMEDIATE');
      try {
        const result = await this.insideTransaction.run(true, () => work(this.direct));
        this.handle.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.handle.inTransaction) this.handle.exec('ROLLBACK');
        throw error;
      }
    })();
    this.open = body;
    try {
      return await body;
    } finally {
      if (this.open === body) this.open = undefined;
    }
  }

  /**
   * A statement on the database issued from inside one of its own transactions would wait for that
   * transaction, which waits for it: fail loudly instead (pass the transaction's `tx` down). Postgres
   * would run it on another connection, outside the transaction, which is just as wrong.
   */
  private refuseInsideTransaction(): void {
    if (this.insideTransaction.getStore()) {
      throw new DatabaseError('A statement was issued on the database inside one of its transactions; pass the transaction (tx) to it instead');
    }
  }

  async tryLock(name: string): Promise<SessionLock | undefined> {
    if (this.locks.has(name)) return undefined;
    this.locks.add(name);
    let held = true;
    return {
      stillHeld: async () => held,
      release: async () => {
        if (held) this.locks.delete(name);
        held = false;
      },
    };
  }

  async close(): Promise<void> {
    while (this.open) await this.open.catch(noop);
    this.statements.clear();
    if (this.handle.open) this.handle.close();
  }
}
