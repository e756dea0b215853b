import pg from 'pg';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DatabaseError, DatabaseUnavailableError, DatabaseUniqueViolationError } from './database.errors';
import { SessionLock, SqlDatabase, SqlExecutor, SqlValue } from './sql-database';
import { migratePostgres } from './postgres-migrator';

/**
 * Numbers the `?` placeholders `$1, $2, …` for Postgres. Question marks inside single-quoted literals,
 * double-quoted identifiers and comments are left alone (the SQL is ours, but never trust that by luck).
 */
export function numberPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end === -1 ? sql.length : end + 1;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === '?') {
      out += `$${++n}`;
    } else {
      out += c;
    }
  }
  return out;
}

// Postgres error classes that mean "not now" rather than "never": connection failures (08…), the server
// shutting down or restarting (57P01-57P03), too many connections (53300).
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006']);
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

function translate(error: unknown, operation: string): unknown {
  if (error instanceof DatabaseError) return error;
  const code = (error as { code?: string }).code;
  const message = (error as Error).message ?? String(error);
  if (code === '23505') {
    return new DatabaseUniqueViolationError(`Unique constraint violated: ${(error as { constraint?: string }).constraint ?? 'unknown'}`, { cause: error });
  }
  if (
    (code && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_CODES.has(code))) ||
    /timeout exceeded when trying to connect|Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)
  ) {
    return new DatabaseUnavailableError(`PostgreSQL is unavailable (${operation}): ${message}`, { cause: error });
  }
  return error;
}

/** BIGINT (COUNT(*), identities) as a JS number, as SQLite returns it; ours never pass 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8 && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

function bind(params: readonly SqlValue[]): unknown[] {
  return params.map((p) => {
    if (typeof p === 'boolean') return p ? 1 : 0;
    if (typeof p === 'bigint') return p.toString();
    if (p instanceof Uint8Array && !Buffer.isBuffer(p)) return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    return p;
  });
}

function executor(queryable: pg.Pool | pg.PoolClient): SqlExecutor {
  const query = async (sql: string, params: readonly SqlValue[]) => {
    try {
      return await queryable.query(numberPlaceholders(sql), bind(params));
    } catch (error) {
      throw translate(error, 'query');
    }
  };
  return {
    all: async <T>(sql: string, params: readonly SqlValue[] = []) => (await query(sql, params)).rows as T[],
    one: async <T>(sql: string, params: readonly SqlValue[] = []) => (await query(sql, params)).rows[0] as T | undefined,
    run: async (sql: string, params: readonly SqlValue[] = []) => ({ changes: (await query(sql, params)).rowCount ?? 0 }),
  };
}

export interface PostgresOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Connections in the pool (DATABASE_POOL_SIZE). */
  poolSize: number;
  /** How long to wait for a connection before failing with DatabaseUnavailableError (ms). */
  connectTimeoutMs: number;
  /** Receives errors of idle connections (Postgres restarted): logged, the pool reconnects on next use. */
  onIdleError?: (error: Error) => void;
}

/**
 * The scaled adapter: PostgreSQL through a `pg` pool, shared by every process of a deployment. Each
 * statement runs on any pooled connection; a transaction holds one connection until it ends. When
 * Postgres is down, statements fail within `connectTimeoutMs` with DatabaseUnavailableError (never hang),
 * and the pool reconnects by itself once it is back.
 */
export class PostgresDatabase extends SqlDatabase {
  readonly dialect = 'postgres' as const;
  private readonly direct: SqlExecutor;
  private closed = false;
  /** Set inside a transaction's work: statements there must go through its `tx` (as on SQLite). */
  private readonly insideTransaction = new AsyncLocalStorage<true>();

  private constructor(
    private readonly pool: pg.Pool,
    private readonly options: PostgresOptions,
  ) {
    super();
    this.direct = executor(pool);
  }

  /** Connects and migrates (under an advisory lock, so processes starting together migrate once). */
  static async connect(options: PostgresOptions): Promise<PostgresDatabase> {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      connectionTimeoutMillis: options.connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      types,
    });
    // Without a listener, an idle connection dropped by the server would crash the process.
    pool.on('error', (error) => options.onIdleError?.(error));
    const database = new PostgresDatabase(pool, options);
    try {
      await migratePostgres(pool);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw translate(error, 'migrate');
    }
    return database;
  }

  async schemaVersion(): Promise<number> {
    const row = await this.direct.one<{ version: number | null }>('SELECT MAX(version) AS version FROM schema_migrations');
    return row?.version ?? 0;
  }

  async all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    this.refuseInsideTransaction();
    return this.direct.all<T>(sql, params);
  }

  async one<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    this.refuseInsideTransaction();
    return this.direct.one<T>(sql, params);
  }

  async run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    this.refuseInsideTransaction();
    return this.direct.run(sql, params);
  }

  /**
   * A statement on the pool from inside a transaction's work would run on another connection, outside
   * the transaction (not seeing its rows, not rolled back with it), and would deadlock on SQLite: refuse it.
   */
  private refuseInsideTransaction(): void {
    if (this.insideTransaction.getStore()) {
      throw new DatabaseError('A statement was issued on the database inside one of its transactions; pass the transaction (tx) to it instead');
    }
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    this.refuseInsideTransaction();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw translate(error, 'connect');
    }
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const result = await this.insideTransaction.run(true, () => work(executor(client)));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError;
      }
      throw translate(error, 'transaction');
    } finally {
      // A connection whose ROLLBACK failed is in an unknown state: destroy it rather than reuse it.
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  /**
   * A session-level advisory lock (PostgreSQL 15 §13.3.5) on a client of its own, not a pooled one: the
   * lock lives as long as that session, so it must not go back to the pool, and Postgres frees it when
   * the holder's connection closes (process killed, host gone once TCP keepalive notices).
   */
  async tryLock(name: string): Promise<SessionLock | undefined> {
    const key = `covseg:${name}`;
    const timeout = this.options.connectTimeoutMs;
    const client = new pg.Client({ connectionString: this.options.url, connectionTimeoutMillis: timeout, query_timeout: timeout, keepAlive: true, types });
    let lost = false;
    // A dropped connection emits 'error' on an idle client: without a listener it would crash the process.
    client.on('error', () => (lost = true));
    client.on('end', () => (lost = true));
    try {
      await client.connect();
      const row = (await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS held', [key])).rows[0];
      if (!row?.held) {
        await client.end();
        return undefined;
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      throw translate(error, 'lock');
    }
    return {
      stillHeld: async () => {
        if (lost) return false;
        try {
          await client.query('SELECT 1');
          return true;
        } catch {
          lost = true;
          return false;
        }
      },
      release: async () => {
        if (!lost) await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch(() => undefined);
        lost = true;
        await client.end().catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
