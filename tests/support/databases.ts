import { randomBytes } from 'node:crypto';
import { PostgresInstance } from './postgres';

/**
 * The two adapters of the database port. Medium tests of jobs, idempotency and durability run once
 * per kind (describe.each(DATABASE_KINDS)): the embedded SQLite file, and a real PostgreSQL.
 */
export type DatabaseKind = 'SQLite' | 'PostgreSQL';
export const DATABASE_KINDS: readonly DatabaseKind[] = ['SQLite', 'PostgreSQL'];

let postgres: Promise<PostgresInstance> | undefined;
// Postgres mode refuses to start without a key from the environment (never in the database).
const secretKey = randomBytes(32).toString('base64');

/**
 * The environment a test server needs for `kind`: nothing for SQLite (DATA_DIR's file, as in
 * production by default); for PostgreSQL, a new empty database on this test file's own Postgres
 * (started on first use, on a free port) and the secret key. Each call gives a database of its own, so
 * two servers of one test never share a queue. Call {@link stopTestPostgres} in afterAll.
 */
export async function databaseEnv(kind: DatabaseKind): Promise<Record<string, string>> {
  if (kind === 'SQLite') return {};
  postgres ??= PostgresInstance.start();
  const instance = await postgres;
  return { DATABASE_URL: await instance.createDatabase(), COVSEG_SECRET_KEY: secretKey };
}

/** The running test Postgres, if one was started (to stop and start it in outage tests). */
export async function testPostgres(): Promise<PostgresInstance | undefined> {
  return postgres;
}

/** Stops and deletes this file's Postgres, if it was started. */
export async function stopTestPostgres(): Promise<void> {
  const started = postgres;
  postgres = undefined;
  (await started?.catch(() => undefined))?.destroy();
}
