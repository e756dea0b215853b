import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig, loadConfig } from './repositories/config.repository';
import { openDatabase } from './database/open-database';
import { SqlDatabase } from './database/sql-database';
import { DimseScuRepository } from './repositories/dimse-scu.repository';
import { PacsEndpointRepository } from './repositories/pacs-endpoint.repository';
import { PacsProbeRepository } from './repositories/pacs-probe.repository';
import { PacsEndpointService } from './services/pacs-endpoint.service';
import { SecretCipher } from './services/secret-cipher';
import { AesGcmSecretCipher } from './trust/services/aes-gcm-secret-cipher';

const shared = [PacsEndpointRepository, PacsProbeRepository, DimseScuRepository, PacsEndpointService];

/**
 * Providers every module may inject (config, database, secret cipher, PACS endpoints). Global so that
 * the viewer and trust modules plug in without re-declaring them. To replace the cipher, change the
 * SecretCipher line below. `PacsEndpointService.getTarget(record)` gives a PACS's URL + Authorization.
 */
@Global()
@Module({
  providers: [
    { provide: APP_CONFIG, useFactory: () => loadConfig(process.env) },
    // The database port: PostgreSQL when DATABASE_URL is set, else the SQLite file; migrated before use.
    { provide: SqlDatabase, useFactory: (config: AppConfig) => openDatabase(config), inject: [APP_CONFIG] },
    // AES-256-GCM at rest; key from COVSEG_SECRET_KEY or DATA_DIR/secret.key (trust module).
    { provide: SecretCipher, useFactory: (config: AppConfig) => AesGcmSecretCipher.fromEnvironment(process.env, config.dataDir), inject: [APP_CONFIG] },
    ...shared,
  ],
  exports: [APP_CONFIG, SqlDatabase, SecretCipher, ...shared],
})
export class CoreModule {}
