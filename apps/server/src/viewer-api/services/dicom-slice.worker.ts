import { parentPort } from 'node:worker_threads';
import type { ParseLimits } from '@covseg/dicom';
import { WORKER_READY } from '../../core/repositories/isolated-worker-pool';
import { DicomSliceRejectedError, prepareDicomSlice, type SlicePreparation } from './dicom-slice';

/**
 * Worker-thread entry of {@link prepareDicomSlice} for untrusted uploads (DicomSliceWorkerRepository
 * runs it under resource limits and a timeout). One message in, one reply out; the gray plane is
 * transferred back, not copied.
 */
interface Request {
  id: number;
  /** The file is bytes[byteOffset, byteOffset + byteLength): a transferred buffer may be larger. */
  bytes: ArrayBuffer;
  byteOffset: number;
  byteLength: number;
  preparation: SlicePreparation;
  limits: Partial<ParseLimits>;
}

parentPort!.on('message', (request: Request) => {
  prepareDicomSlice(new Uint8Array(request.bytes, request.byteOffset, request.byteLength), request.preparation, request.limits).then(
    (slice) => parentPort!.postMessage({ id: request.id, ok: true, slice }, [slice.gray.buffer as ArrayBuffer]),
    (error: unknown) =>
      parentPort!.postMessage({
        id: request.id,
        ok: false,
        rejected: error instanceof DicomSliceRejectedError,
        name: error instanceof Error ? error.name : 'Error',
        message: error instanceof Error ? error.message : String(error),
      }),
  );
});

// Modules loaded and the handler set: the pool starts task deadlines from here.
parentPort!.postMessage(WORKER_READY);
