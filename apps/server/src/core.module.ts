import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, loadConfig } from './repositories/config.repository';
import { DatabaseRepository } from './repositories/database.repository';
import { PassThroughSecretCipher, SecretCipher } from './services/secret-cipher';

/**
 * Providers every module may inject (config, database, secret cipher). Global so that the viewer and
 * trust modules plug in without re-declaring them. To replace the cipher, change the one line below.
 */
@Global()
@Module({
  providers: [
    { provide: APP_CONFIG, useFactory: () => loadConfig(process.env) },
    DatabaseRepository,
    { provide: SecretCipher, useClass: PassThroughSecretCipher },
  ],
  exports: [APP_CONFIG, DatabaseRepository, SecretCipher],
})
export class CoreModule {}
