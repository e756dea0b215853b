import { Global, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { APP_CONFIG, AppConfig } from '../core/repositories/config.repository';
import { AuditController } from '../audit/controllers/audit.controller';
import { AuthController } from './controllers/auth.controller';
import { LoginPageController } from './controllers/login-page.controller';
import { MetricsController } from '../metrics/controllers/metrics.controller';
import { NotificationController, StudyWatcherController } from '../watcher/controllers/study-watcher.controller';
import { AuditInterceptor } from '../audit/guards/audit.interceptor';
import { AuthGuard } from './guards/auth.guard';
import { HttpMetricsMiddleware } from '../metrics/guards/http-metrics.middleware';
import { AuditRepository } from '../audit/repositories/audit.repository';
import { LoginLinkRepository } from './repositories/login-link.repository';
import { StudyWatcherRepository } from '../watcher/repositories/study-watcher.repository';
import { TokenRepository } from './repositories/token.repository';
import { AuditService } from '../audit/services/audit.service';
import { BootstrapAdminService, STDERR_WRITER, StderrWriter } from './services/bootstrap-admin.service';
import { LoginLinkService } from './services/login-link.service';
import { MetricsService } from '../metrics/services/metrics.service';
import { OidcService } from './services/oidc.service';
import { StudyWatcherSettingsService } from '../watcher/services/study-watcher-settings.service';
import { StudyWatcherService } from '../watcher/services/study-watcher.service';
import { TokenService } from './services/token.service';
import { loadTrustConfig, TRUST_CONFIG } from '../core/config/trust.config';

const writeStderr: StderrWriter = (text) => process.stderr.write(text);

/**
 * Authentication (tokens, login links, optional OIDC) with a global deny-by-default guard, the audit
 * log, `/metrics` and the study watcher (automatic processing). Import it once in AppModule. Global, so the core job runner can inject MetricsService. Exports AuditService, MetricsService and
 * LoginLinkService for the other modules (job runner metrics, demo login links).
 */
@Global()
@Module({
  controllers: [AuthController, AuditController, MetricsController, LoginPageController, StudyWatcherController, NotificationController],
  providers: [
    { provide: TRUST_CONFIG, useFactory: (config: AppConfig) => loadTrustConfig(process.env, config.dataDir), inject: [APP_CONFIG] },
    { provide: STDERR_WRITER, useValue: writeStderr },
    TokenRepository,
    LoginLinkRepository,
    AuditRepository,
    TokenService,
    LoginLinkService,
    AuditService,
    OidcService,
    MetricsService,
    BootstrapAdminService,
    StudyWatcherRepository,
    StudyWatcherService,
    StudyWatcherSettingsService,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
  ],
  exports: [AuditService, MetricsService, LoginLinkService, TokenService],
})
export class TrustModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*');
  }
}
