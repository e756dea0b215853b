import { Module } from '@nestjs/common';
import { DimseModule } from '../dimse/dimse.module';
import { MetricsModule } from '../metrics/metrics.module';
import { ModelModule } from '../model/model.module';
import { PacsModule } from '../pacs/pacs.module';
import { JobController } from './controllers/job.controller';
import { OutboxController } from './controllers/outbox.controller';
import { OutboxService } from './services/outbox.service';
import { JobWorker } from './pipeline/job-worker';
import { OutboxSweeper } from './pipeline/outbox-sweeper';
import { SegmentationPipeline } from './pipeline/segmentation.pipeline';
import { QUEUE_CONFIG, QueueConfig, runsWorkers } from '../core/config/queue.config';
import { APP_CONFIG, AppConfig } from '../core/repositories/config.repository';
import { WorkerShutdownError } from './pipeline/job.errors';
import { QueueJobRunnerService } from './pipeline/queue-job-runner';
import { BullmqJobQueue } from './queue/bullmq-job-queue';
import { InProcessJobQueue } from './queue/in-process-job-queue';
import { JOB_QUEUE } from './queue/job-queue';
import { QueueLifecycleService } from './queue/queue-lifecycle.service';
import { SEGMENTATION_BULL_QUEUE } from './queue/queue-transport.module';
import { createSegmentationProcessor, SegmentationProcessor } from './queue/segmentation.processor';
import { DecodePoolRepository } from './repositories/decode-pool.repository';
import { SegmentationThreadRepository } from './repositories/segmentation-thread.repository';
import { JobRepository } from './repositories/job.repository';
import { OutboxRepository } from './repositories/outbox.repository';
import { JobService } from './services/job.service';
import { ReceivedSeriesService } from './services/received-series.service';

/**
 * Segmentation jobs: the API (`/api/jobs`), the queue port (in-process adapter by default, BullMQ with
 * REDIS_URL), the worker
 * and its pipeline (DICOM → volume → U-Net → SEG → outbox → PACS), the outbox sweeper and the jobs
 * created from series pushed over DIMSE. Exports JobService (to create jobs) and JobRepository (read
 * side: job statuses for the viewer and health).
 */
@Module({
  imports: [PacsModule, DimseModule, ModelModule, MetricsModule],
  controllers: [JobController, OutboxController],
  providers: [
    JobService,
    OutboxService,
    JobRepository,
    OutboxRepository,
    DecodePoolRepository,
    SegmentationThreadRepository,
    SegmentationPipeline,
    JobWorker,
    OutboxSweeper,
    ReceivedSeriesService,
    // The queue port's adapter, by configuration: BullMQ on Redis when REDIS_URL is set (scaled mode;
    // QueueTransportModule then registers the queue with @nestjs/bullmq).
    {
      provide: JOB_QUEUE,
      useFactory: (config: QueueConfig, bullQueue: ConstructorParameters<typeof BullmqJobQueue>[0] | null, worker: JobWorker, jobs: JobRepository) =>
        config.redisUrl !== undefined && bullQueue ? new BullmqJobQueue(bullQueue, config.redisUrl, jobs) : new InProcessJobQueue(worker, jobs),
      inject: [QUEUE_CONFIG, SEGMENTATION_BULL_QUEUE, JobWorker, JobRepository],
    },
    // Scaled mode only (inert otherwise): the BullMQ processor of ROLE=worker|all (null elsewhere; BullModule's
    // explorer gives it its Worker), and the API's reconciler.
    QueueJobRunnerService,
    {
      provide: SegmentationProcessor,
      useFactory: (queueConfig: QueueConfig, config: AppConfig, runner: QueueJobRunnerService) => {
        const { redisUrl } = queueConfig;
        if (redisUrl === undefined || !runsWorkers(queueConfig)) return null;
        return createSegmentationProcessor({ ...queueConfig, redisUrl }, config.jobConcurrency, runner, () => new WorkerShutdownError());
      },
      inject: [QUEUE_CONFIG, APP_CONFIG, QueueJobRunnerService],
    },
    QueueLifecycleService,
  ],
  exports: [JobService, JobRepository],
})
export class JobsModule {}
