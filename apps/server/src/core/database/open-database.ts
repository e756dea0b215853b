import { Logger } from '@nestjs/common';
import type { AppConfig } from '../repositories/config.repository';
import { MIGRATIONS } from '../repositories/migrations';
import { PostgresDatabase } from './postgres.database';
import { SqlDatabase } from './sql-database';
import { SqliteDatabase } from './sqlite.database';

/**
 * Opens the deployment's database and brings its schema to the newest version: PostgreSQL when
 * DATABASE_URL is set (scaled mode), else the embedded SQLite file in DATA_DIR, exactly as before.
 */
export async function openDatabase(config: Pick<AppConfig, 'postgres' | 'databasePath'>): Promise<SqlDatabase> {
  if (!config.postgres) return SqliteDatabase.open(config.databasePath, MIGRATIONS);
  const logger = new Logger('PostgresDatabase');
  return PostgresDatabase.connect({
    url: config.postgres.url,
    poolSize: config.postgres.poolSize,
    connectTimeoutMs: config.postgres.connectTimeoutMs,
    onIdleError: (error) => logger.warn(`An idle PostgreSQL connection failed (the pool reconnects on next use): ${error.message}`),
  });
}
