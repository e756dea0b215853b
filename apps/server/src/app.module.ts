import { Module } from '@nestjs/common';
import { CoreModule } from './core.module';
import { HealthController } from './controllers/health.controller';
import { HealthService } from './services/health.service';

/**
 * The server's root module. Teammates plug their feature modules into `imports` with one-line edits
 * (ViewerModule from ./viewer/viewer.module, TrustModule from ./trust/trust.module).
 */
@Module({
  imports: [CoreModule],
  controllers: [HealthController],
  providers: [HealthService],
})
export class AppModule {}
