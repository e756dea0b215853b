import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { FrameDecodePool } from '@covseg/dicom';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';

/**
 * Owns the worker threads that decode compressed CT slices for the job pipeline (DECODE_THREADS), and
 * uncompressed ones too with DECODE_UNCOMPRESSED_IN_THREADS. They start on the first slice they get, idle without keeping the process alive, and stop at shutdown.
 * Not for parsing untrusted uploads: those have their own isolation.
 */
@Injectable()
export class DecodePoolRepository implements OnApplicationShutdown {
  readonly pool: FrameDecodePool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.pool = new FrameDecodePool({ threads: config.decodeThreads, niceness: config.jobNice, uncompressed: config.decodeUncompressedInThreads });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }
}
