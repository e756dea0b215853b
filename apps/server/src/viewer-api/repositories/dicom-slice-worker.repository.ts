import { join } from 'node:path';
import { Inject, Injectable, OnModuleDestroy, ServiceUnavailableException } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';
import { IsolatedWorkerPool, WorkerPoolBusyError, WorkerTaskError } from '../../core/repositories/isolated-worker-pool';
import { UPLOAD_PARSE_LIMITS, type PreparedDicomSlice, type SlicePreparation } from '../services/dicom-slice';
import { UploadUnreadableError } from '../viewer.errors';

/** All upload parsers are busy and the queue is full (503: retry shortly). */
export class UploadParserBusyError extends ServiceUnavailableException {
  override name = 'UploadParserBusyError';
}

/** An internal failure of the worker (not the input's fault): 500, logged by the ErrorFilter. */
export class UploadParserFailedError extends Error {
  override name = 'UploadParserFailedError';
}

type Reply = { ok: true; slice: PreparedDicomSlice } | { ok: false; rejected: boolean; name: string; message: string };

/**
 * Parses and prepares uploaded DICOM slices (untrusted input) off the event loop, in worker threads
 * with a heap limit and a deadline (IsolatedWorkerPool): a hostile file (a million empty elements, a
 * parse that never ends, a heap bomb) costs one worker, never the server's responsiveness.
 * Limits: UPLOAD_PARSE_WORKERS workers, UPLOAD_PARSE_TIMEOUT_MS per file, UPLOAD_PARSE_HEAP_MB each,
 * UPLOAD_PARSE_MAX_ELEMENTS data elements per file, and the upload size limit of the controller; the
 * workers run at UPLOAD_PARSE_NICE, so the event loop's threads get the CPU first.
 */
@Injectable()
export class DicomSliceWorkerRepository implements OnModuleDestroy {
  private readonly pool: IsolatedWorkerPool;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.pool = new IsolatedWorkerPool({
      entry: join(__dirname, '../services/dicom-slice.worker'),
      size: config.uploadParseWorkers,
      maxQueued: config.uploadParseWorkers * 4,
      timeoutMs: config.uploadParseTimeoutMs,
      resourceLimits: { maxOldGenerationSizeMb: config.uploadParseHeapMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
      niceness: config.uploadParseNice,
    });
  }

  /**
   * `transfer: true` hands the bytes' whole ArrayBuffer to the worker without a copy (it is detached
   * here afterwards): only for a buffer nothing else views (never a Node Buffer pool slice). Otherwise
   * the bytes are copied first — 12 MB copied on the event loop cost ~50 ms under load, see
   * bench/upload-stall.bench.ts.
   */
  async prepare(bytes: Uint8Array, preparation: SlicePreparation, options: { transfer?: boolean } = {}): Promise<PreparedDicomSlice> {
    const owned = options.transfer && bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
    const buffer = owned.buffer as ArrayBuffer;
    let reply: Reply;
    try {
      const limits = { ...UPLOAD_PARSE_LIMITS, maxElements: this.config.uploadParseMaxElements };
      reply = await this.pool.run<Reply>({ bytes: buffer, byteOffset: owned.byteOffset, byteLength: owned.byteLength, preparation, limits }, [buffer]);
    } catch (error) {
      if (error instanceof WorkerPoolBusyError) throw new UploadParserBusyError(`Segmenting an uploaded DICOM slice refused: ${error.message}`, { cause: error });
      // Time and heap limits are the input's doing (a hostile or absurd file): a 422 naming the limit.
      if (error instanceof WorkerTaskError && error.kind !== 'crashed') throw new UploadUnreadableError(`Segmenting an uploaded DICOM slice failed: parsing ${error.message}`, { cause: error });
      throw new UploadParserFailedError(`Parsing an uploaded DICOM slice failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    if (reply.ok) return reply.slice;
    if (reply.rejected) throw new UploadUnreadableError(reply.message);
    throw new UploadParserFailedError(`Parsing an uploaded DICOM slice failed in the worker: ${reply.name}: ${reply.message}`);
  }

  onModuleDestroy(): Promise<void> {
    return this.pool.close();
  }
}
