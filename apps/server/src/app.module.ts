import { DynamicModule, Module } from '@nestjs/common';
import type { QueueConfig } from './core/config/queue.config';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { CoreModule } from './core/core.module';
import { DimseModule } from './dimse/dimse.module';
import { HealthModule } from './health/health.module';
import { JobsModule } from './jobs/jobs.module';
import { QueueTransportModule } from './jobs/queue/queue-transport.module';
import { MetricsModule } from './metrics/metrics.module';
import { ModelModule } from './model/model.module';
import { PacsModule } from './pacs/pacs.module';
import { ReviewModule } from './review/review.module';
import { ViewerApiModule } from './viewer-api/viewer-api.module';
import { WatcherModule } from './watcher/watcher.module';

/**
 * The composition root: one NestJS module per job, each importing only the modules below it
 * (core ← audit ← auth; core ← metrics, model, pacs ← dimse ← jobs ← watcher, review ← viewer-api,
 * health). The order is enforced by eslint.config.mjs (serverModuleLayers) and module-graph.spec.ts.
 *
 * Built at boot from the parsed queue config: the Redis side of the queue (QueueTransportModule) exists
 * only in scaled mode, so the embedded mode opens no Redis connection.
 */
@Module({})
export class AppModule {
  static forRoot(queue: Pick<QueueConfig, 'redisUrl'>): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule,
        QueueTransportModule.forRoot(queue),
        AuditModule,
        AuthModule,
        MetricsModule,
        ModelModule,
        PacsModule,
        DimseModule,
        JobsModule,
        WatcherModule,
        ReviewModule,
        ViewerApiModule,
        HealthModule,
      ],
    };
  }
}
