import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { FrameDecodePool } from '@covseg/dicom';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';

/**
 * Owns the worker threads that decode and rescale CT slices for the job pipeline (DECODE_THREADS), compressed
 * and uncompressed alike, so the event loop only parses each file's header. They start on the first slice, idle without keeping the process alive, and stop at shutdown.
 * Not for parsing untrusted uploads: those have their own isolation.
 */
@Injectable()
export class DecodePoolRepository implements OnApplicationShutdown {
  readonly pool: FrameDecodePool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.pool = new FrameDecodePool({ threads: config.decodeThreads, niceness: config.jobNice });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }
}
