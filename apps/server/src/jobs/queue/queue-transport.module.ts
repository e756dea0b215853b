import { DynamicModule, Module } from '@nestjs/common';
import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { QueueConfig } from '../../core/config/queue.config';
import { bullConnection, REDIS_PREFIX, SEGMENTATION_QUEUE } from './bullmq-names';

/** Injection token of the segmentation queue (a BullMQ `Queue`), or null in embedded mode (no Redis). */
export const SEGMENTATION_BULL_QUEUE = Symbol('SEGMENTATION_BULL_QUEUE');

/**
 * The Redis side of the queue, chosen at boot: with REDIS_URL, @nestjs/bullmq's BullModule (one
 * connection setting and key prefix for every queue and worker, the segmentation queue registered,
 * its explorer turning this process's SegmentationProcessor into a BullMQ Worker, everything closed at
 * shutdown); without it, nothing at all: the embedded mode opens no Redis connection. Global so that
 * JobsModule (which picks the JobQueue adapter) sees the queue without knowing which mode runs.
 *
 * It has to be a dynamic module built from the parsed config (AppModule.forRoot), not a static import
 * with forRootAsync: BullModule opens its Redis connections as soon as it is imported.
 */
@Module({})
export class QueueTransportModule {
  static forRoot(config: Pick<QueueConfig, 'redisUrl'>): DynamicModule {
    if (config.redisUrl === undefined) {
      return { module: QueueTransportModule, global: true, providers: [{ provide: SEGMENTATION_BULL_QUEUE, useValue: null }], exports: [SEGMENTATION_BULL_QUEUE] };
    }
    return {
      module: QueueTransportModule,
      global: true,
      imports: [BullModule.forRoot({ connection: bullConnection(config.redisUrl), prefix: REDIS_PREFIX }), BullModule.registerQueue({ name: SEGMENTATION_QUEUE })],
      providers: [{ provide: SEGMENTATION_BULL_QUEUE, useExisting: getQueueToken(SEGMENTATION_QUEUE) }],
      exports: [SEGMENTATION_BULL_QUEUE],
    };
  }
}
