import { Module } from '@nestjs/common';
import { CoreModule } from './core.module';
import { HealthController } from './controllers/health.controller';
import { PacsEndpointController } from './controllers/pacs-endpoint.controller';
import { HealthService } from './services/health.service';
import { JobController } from './controllers/job.controller';
import { JobService } from './services/job.service';
import { JobRepository } from './repositories/job.repository';
import { OutboxRepository } from './repositories/outbox.repository';
import { ModelRepository } from './repositories/model.repository';
import { DicomwebRepository } from './repositories/dicomweb.repository';
import { DecodePoolRepository } from './repositories/decode-pool.repository';
import { JobWorker } from './jobs/job-worker';
import { OutboxSweeper } from './jobs/outbox-sweeper';
import { SegmentationPipeline } from './jobs/segmentation.pipeline';
import { TrustModule } from './trust/trust.module';
import { ReviewModule } from './review/review.module';
import { ViewerModule } from './viewer/viewer.module';
import { DimseModule } from './dimse/dimse.module';
import { ReceivedSeriesService } from './services/received-series.service';
import { queueProviders } from './queue/queue.providers';

/**
 * The server's root module. Teammates plug their feature modules into `imports` with one-line edits
 * (ViewerModule from ./viewer/viewer.module, TrustModule from ./trust/trust.module). Shared providers
 * (config, database, cipher, PACS endpoints) live in the global CoreModule so those modules can inject them.
 */
@Module({
  imports: [CoreModule, TrustModule, ReviewModule, ViewerModule, DimseModule],
  controllers: [HealthController, PacsEndpointController, JobController],
  providers: [HealthService, JobService, JobRepository, OutboxRepository, ModelRepository, DicomwebRepository, DecodePoolRepository, JobWorker, OutboxSweeper, SegmentationPipeline, ReceivedSeriesService, ...queueProviders],
})
export class AppModule {}
