import type pg from 'pg';
import { DatabaseError } from './database.errors';
import { POSTGRES_MIGRATIONS } from './postgres.migrations';

// Any constant shared by every covseg process of a database: pg_advisory_lock takes one 64-bit key.
const MIGRATION_LOCK_KEY = 0x636f7673_6567; // "covseg"

/**
 * Brings the schema to the newest version. Several processes (API and workers) start at once, so:
 * - a session-level advisory lock serialises them: the first migrates, the others wait, then find
 *   nothing left to do (the lock is released when this returns, or when the connection dies);
 * - each version runs in its own transaction together with its schema_migrations row, so a crash
 *   leaves the schema at a whole version and the next start resumes from there.
 * Refuses to start against a schema newer than this code knows (a rollback to an older server).
 */
export async function migratePostgres(pool: pg.Pool, migrations: readonly string[] = POSTGRES_MIGRATIONS): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
      const { rows } = await client.query<{ version: number | null }>('SELECT MAX(version) AS version FROM schema_migrations');
      const current = rows[0]?.version ?? 0;
      if (current > migrations.length) {
        throw new DatabaseError(`The database schema is at version ${current}, newer than this server's ${migrations.length}: run the newer server`);
      }
      for (const [index, sql] of migrations.entries()) {
        const version = index + 1;
        if (version <= current) continue;
        await client.query('BEGIN');
        try {
          await client.query(sql);
          await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [version, new Date().toISOString()]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new DatabaseError(`PostgreSQL migration ${version} failed: ${(error as Error).message}`, { cause: error });
        }
        applied.push(version);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
  return applied;
}
