/**
 * The database port: the one interface every repository talks to, with one adapter per deployment
 * (SQLite embedded, PostgreSQL scaled). Repositories write SQL that both engines run:
 * - placeholders are `?` (the Postgres adapter numbers them `$1, $2, …`; never put a `?` in a string literal);
 * - flags are INTEGER 0/1 and timestamps ISO 8601 TEXT in both schemas, so comparisons and row mapping
 *   are the same on both (ISO 8601 UTC strings sort in time order);
 * - `ON CONFLICT … DO …` and `RETURNING` (SQLite ≥ 3.35 and Postgres both have them);
 * - `rowid` is SQLite's implicit column and an identity column of the same name in Postgres, where a
 *   table needs insertion order;
 * - where the engines really differ (row locks), a repository asks {@link SqlDatabase.dialect}.
 * Results: integers (COUNT, BIGINT) come back as JS numbers, BLOB/BYTEA as Buffers.
 */

/** A statement parameter. Booleans are stored as 0/1; byte arrays as BLOB (SQLite) or BYTEA (Postgres). */
export type SqlValue = string | number | bigint | boolean | null | Uint8Array;

export type SqlDialect = 'sqlite' | 'postgres';

/** What runs statements: the database itself, or the connection of an open transaction. */
export interface SqlExecutor {
  /** Every row of a query (or of a statement with RETURNING). */
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** The first row, or undefined. */
  one<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Runs a statement; `changes` is the number of rows it inserted, updated or deleted. */
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

/**
 * A named lock this process holds until it releases it or loses its connection (leader election: one
 * process of a deployment runs a singleton task, such as the study watcher). Never blocks.
 */
export interface SessionLock {
  /** False once the lock is gone (its connection to the database was lost); checks the connection. */
  stillHeld(): Promise<boolean>;
  /** Gives the lock up (idempotent). */
  release(): Promise<void>;
}

/**
 * The port. Injected by its abstract class (NestJS token); `DatabaseModule` picks the adapter from
 * DATABASE_URL at boot and migrates the schema before any repository runs.
 */
export abstract class SqlDatabase implements SqlExecutor {
  abstract readonly dialect: SqlDialect;
  /** The schema version the migrations brought the database to. */
  abstract schemaVersion(): Promise<number>;
  abstract all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  abstract one<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  abstract run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  /**
   * Runs a statement whose loss in a power failure or OS crash is harmless because a later write
   * supersedes it (a job's progress, stage, timings): atomic and ordered like `run`, and it survives a
   * kill -9 of the process, but the commit does not wait for the disk. SQLite: committed at
   * synchronous=NORMAL (WAL: no fsync; the next durable commit's fsync covers it), so the event loop does
   * not stall for an fsync per progress row. Postgres: the same as `run` (asynchronous already).
   */
  runVolatile(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    return this.run(sql, params);
  }
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws. Statements
   * of the transaction go through `tx` only; statements on the database itself wait until it ends
   * (SQLite: one connection) or run outside it (Postgres: a pool). Not re-entrant.
   */
  abstract transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Takes the lock `name` for this process if no other process holds it; undefined when one does.
   * Postgres: a session-level advisory lock on a connection of its own, so the lock goes the moment the
   * holder dies (its connection closes) and another process can take it. SQLite: the file belongs to one
   * process, so a lock is only exclusive within it.
   * @throws DatabaseUnavailableError when the database does not answer
   */
  abstract tryLock(name: string): Promise<SessionLock | undefined>;
  /** Closes the connections. */
  abstract close(): Promise<void>;

  /**
   * Nest's last shutdown hook (every module's onModuleDestroy, where the job worker requeues its jobs,
   * has run and may have written): the connections close here.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}
