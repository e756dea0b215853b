import { Module } from '@nestjs/common';
import { DimseModule } from '../dimse/dimse.module';
import { MetricsModule } from '../metrics/metrics.module';
import { ModelModule } from '../model/model.module';
import { PacsModule } from '../pacs/pacs.module';
import { JobController } from './controllers/job.controller';
import { JobWorker } from './pipeline/job-worker';
import { OutboxSweeper } from './pipeline/outbox-sweeper';
import { SegmentationPipeline } from './pipeline/segmentation.pipeline';
import { InProcessJobQueue } from './queue/in-process-job-queue';
import { JOB_QUEUE } from './queue/job-queue';
import { DecodePoolRepository } from './repositories/decode-pool.repository';
import { JobRepository } from './repositories/job.repository';
import { OutboxRepository } from './repositories/outbox.repository';
import { JobService } from './services/job.service';
import { ReceivedSeriesService } from './services/received-series.service';

/**
 * Segmentation jobs: the API (`/api/jobs`), the queue port (in-process adapter by default), the worker
 * and its pipeline (DICOM → volume → U-Net → SEG → outbox → PACS), the outbox sweeper and the jobs
 * created from series pushed over DIMSE. Exports JobService (to create jobs) and JobRepository (read
 * side: job statuses for the viewer and health).
 */
@Module({
  imports: [PacsModule, DimseModule, ModelModule, MetricsModule],
  controllers: [JobController],
  providers: [
    JobService,
    JobRepository,
    OutboxRepository,
    DecodePoolRepository,
    SegmentationPipeline,
    JobWorker,
    OutboxSweeper,
    ReceivedSeriesService,
    { provide: JOB_QUEUE, useClass: InProcessJobQueue },
  ],
  exports: [JobService, JobRepository],
})
export class JobsModule {}
