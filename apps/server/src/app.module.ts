import { Module } from '@nestjs/common';
import { CoreModule } from './core.module';
import { HealthController } from './controllers/health.controller';
import { PacsEndpointController } from './controllers/pacs-endpoint.controller';
import { HealthService } from './services/health.service';
import { TrustModule } from './trust/trust.module';

/**
 * The server's root module. Teammates plug their feature modules into `imports` with one-line edits
 * (ViewerModule from ./viewer/viewer.module, TrustModule from ./trust/trust.module). Shared providers
 * (config, database, cipher, PACS endpoints) live in the global CoreModule so those modules can inject them.
 */
@Module({
  imports: [CoreModule, TrustModule],
  controllers: [HealthController, PacsEndpointController],
  providers: [HealthService],
})
export class AppModule {}
