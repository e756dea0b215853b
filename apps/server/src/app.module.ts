import { Module } from '@nestjs/common';
import { CoreModule } from './core/core.module';
import { HealthController } from './health/controllers/health.controller';
import { PacsEndpointController } from './pacs/controllers/pacs-endpoint.controller';
import { HealthService } from './health/services/health.service';
import { JobController } from './jobs/controllers/job.controller';
import { JobService } from './jobs/services/job.service';
import { JobRepository } from './jobs/repositories/job.repository';
import { OutboxRepository } from './jobs/repositories/outbox.repository';
import { ModelRepository } from './model/repositories/model.repository';
import { DicomwebRepository } from './pacs/repositories/dicomweb.repository';
import { DecodePoolRepository } from './jobs/repositories/decode-pool.repository';
import { JobWorker } from './jobs/pipeline/job-worker';
import { OutboxSweeper } from './jobs/pipeline/outbox-sweeper';
import { SegmentationPipeline } from './jobs/pipeline/segmentation.pipeline';
import { TrustModule } from './auth/auth.module';
import { ReviewModule } from './review/review.module';
import { ViewerModule } from './viewer-api/viewer-api.module';
import { DimseModule } from './dimse/dimse.module';
import { ReceivedSeriesService } from './jobs/services/received-series.service';

/**
 * The server's root module. Teammates plug their feature modules into `imports` with one-line edits
 * (ViewerModule from ./viewer/viewer.module, TrustModule from ./trust/trust.module). Shared providers
 * (config, database, cipher, PACS endpoints) live in the global CoreModule so those modules can inject them.
 */
@Module({
  imports: [CoreModule, TrustModule, ReviewModule, ViewerModule, DimseModule],
  controllers: [HealthController, PacsEndpointController, JobController],
  providers: [HealthService, JobService, JobRepository, OutboxRepository, ModelRepository, DicomwebRepository, DecodePoolRepository, JobWorker, OutboxSweeper, SegmentationPipeline, ReceivedSeriesService],
})
export class AppModule {}
