import { Provider } from '@nestjs/common';
import { JobWorker } from '../jobs/job-worker';
import { QueueJobRunnerService } from '../jobs/queue-job-runner';
import { JobRepository } from '../repositories/job.repository';
import { BullmqJobQueue } from './bullmq-job-queue';
import { InProcessJobQueue } from './in-process-job-queue';
import { JOB_QUEUE } from './job-queue.port';
import { QueueLifecycleService } from './queue-lifecycle.service';
import { loadQueueConfig, QUEUE_CONFIG, QueueConfig } from './queue.config';

/**
 * The queue's providers: QUEUE_CONFIG (validated at boot), JOB_QUEUE (BullMQ when REDIS_URL is set,
 * else in-process), the worker-side runner and the lifecycle that starts each side by ROLE.
 */
export const queueProviders: Provider[] = [
  { provide: QUEUE_CONFIG, useFactory: () => loadQueueConfig(process.env) },
  {
    provide: JOB_QUEUE,
    useFactory: (config: QueueConfig, worker: JobWorker, jobs: JobRepository) =>
      config.redisUrl !== undefined ? new BullmqJobQueue(config.redisUrl) : new InProcessJobQueue(() => worker.wake(), jobs),
    inject: [QUEUE_CONFIG, JobWorker, JobRepository],
  },
  QueueJobRunnerService,
  QueueLifecycleService,
];
