// One process of the concurrent-migration test: migrates DATABASE_URL and prints the versions it applied
// as one JSON line. Started twice at once by tests/medium/database-adapters.test.ts.
import pg from 'pg';
import { migratePostgres } from '../../apps/server/src/core/database/postgres-migrator';

async function main(): Promise<void> {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  try {
    const applied = await migratePostgres(pool);
    process.stdout.write(JSON.stringify({ pid: process.pid, applied }) + '\n');
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
