import { Test } from '@nestjs/testing';
import { QueueConfig } from '../../apps/server/src/core/config/queue.config';
import { BullmqJobQueue, QueuedJobLookup } from '../../apps/server/src/jobs/queue/bullmq-job-queue';
import { QueueJobRunner } from '../../apps/server/src/jobs/queue/job-queue';
import { QueueTransportModule, SEGMENTATION_BULL_QUEUE } from '../../apps/server/src/jobs/queue/queue-transport.module';
import { createSegmentationProcessor, SegmentationProcessor } from '../../apps/server/src/jobs/queue/segmentation.processor';

/** One process's side of the BullMQ adapter, wired the way the server wires it (QueueTransportModule, @nestjs/bullmq). */
export interface QueueNode {
  /** The JobQueue adapter over the registered queue (what the API side uses). */
  queue: BullmqJobQueue;
  /** The worker, when started with a runner. */
  processor: SegmentationProcessor | undefined;
  /** Closes the node as the server does at shutdown (processor first, then BullModule's worker and queue). */
  close(): Promise<void>;
}

/**
 * Builds a Nest context holding QueueTransportModule.forRoot(config) and, given a runner, this process's
 * SegmentationProcessor, so BullModule's explorer creates its Worker exactly as in a ROLE=worker server.
 */
export async function startQueueNode(config: QueueConfig & { redisUrl: string }, options: { lookup: QueuedJobLookup; runner?: QueueJobRunner; concurrency?: number }): Promise<QueueNode> {
  const { runner } = options;
  const moduleRef = await Test.createTestingModule({
    imports: [QueueTransportModule.forRoot(config)],
    providers: runner
      ? [{ provide: SegmentationProcessor, useFactory: () => createSegmentationProcessor(config, options.concurrency ?? 1, runner, () => new Error('shutdown')) }]
      : [],
  }).compile();
  await moduleRef.init();
  const queue = new BullmqJobQueue(moduleRef.get(SEGMENTATION_BULL_QUEUE), config.redisUrl, options.lookup);
  const processor = runner ? moduleRef.get(SegmentationProcessor) : undefined;
  return {
    queue,
    processor,
    close: async () => {
      await queue.close();
      await moduleRef.close();
    },
  };
}
