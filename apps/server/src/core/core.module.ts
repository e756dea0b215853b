import { Global, Module } from '@nestjs/common';
import { loadTrustConfig, TRUST_CONFIG, TrustConfig } from './config/trust.config';
import { APP_CONFIG, AppConfig, loadConfig } from './repositories/config.repository';
import { openDatabase } from './database/open-database';
import { SqlDatabase } from './database/sql-database';
import { AesGcmSecretCipher } from './services/aes-gcm-secret-cipher';
import { SecretCipher } from './services/secret-cipher';

/**
 * What every module stands on: the configuration (parsed and validated once, at boot: the server's and
 * the trust settings), the database port (SQLite or PostgreSQL) and the secret cipher (AES-256-GCM at rest; key from
 * COVSEG_SECRET_KEY or DATA_DIR/secret.key). Global because every module needs them; it imports no
 * other module of the server (module-graph.spec.ts and eslint.config.mjs keep it so).
 */
@Global()
@Module({
  providers: [
    { provide: APP_CONFIG, useFactory: () => loadConfig(process.env) },
    { provide: TRUST_CONFIG, useFactory: (config: AppConfig) => loadTrustConfig(process.env, config.dataDir), inject: [APP_CONFIG] },
    { provide: SecretCipher, useFactory: (trust: TrustConfig) => AesGcmSecretCipher.fromConfig(trust), inject: [TRUST_CONFIG] },
    // The database port: PostgreSQL when DATABASE_URL is set, else the SQLite file; migrated before use.
    { provide: SqlDatabase, useFactory: (config: AppConfig) => openDatabase(config), inject: [APP_CONFIG] },
  ],
  exports: [APP_CONFIG, TRUST_CONFIG, SecretCipher, SqlDatabase],
})
export class CoreModule {}
