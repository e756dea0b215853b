import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, loadConfig } from './repositories/config.repository';
import { DatabaseRepository } from './repositories/database.repository';
import { PacsEndpointRepository } from './repositories/pacs-endpoint.repository';
import { PacsProbeRepository } from './repositories/pacs-probe.repository';
import { PacsEndpointService } from './services/pacs-endpoint.service';
import { PassThroughSecretCipher, SecretCipher } from './services/secret-cipher';

const shared = [DatabaseRepository, PacsEndpointRepository, PacsProbeRepository, PacsEndpointService];

/**
 * Providers every module may inject (config, database, secret cipher, PACS endpoints). Global so that
 * the viewer and trust modules plug in without re-declaring them. To replace the cipher, change the
 * SecretCipher line below. `PacsEndpointService.getTarget(record)` gives a PACS's URL + Authorization.
 */
@Global()
@Module({
  providers: [
    { provide: APP_CONFIG, useFactory: () => loadConfig(process.env) },
    { provide: SecretCipher, useClass: PassThroughSecretCipher },
    ...shared,
  ],
  exports: [APP_CONFIG, SecretCipher, ...shared],
})
export class CoreModule {}
