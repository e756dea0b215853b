import { authHeaders, UnauthorizedError, ApiError, NetworkError, reportUnauthorized } from '../api/http-client';
import { firstMultipartPart } from './multipart';
import type { FromStreamWorker, StartStream, StreamEnd } from './series-stream.protocol';
import type { SliceMeta } from './series-metadata';

/** Scheme of the viewer's own image loader; image ids are `covseg:<frame URL>`. */
export const IMAGE_SCHEME = 'covseg';

/**
 * PS3.18 §8.7.3.5.2: ask for the frame as Explicit VR Little Endian, so a PACS that can transcode
 * compressed storage does it for us (Orthanc 1.10 + DICOMweb 1.7: JPEG, JPEG-LS and RLE through DCMTK, but
 * NOT JPEG 2000, which its DCMTK cannot decode without the GDCM plugin, and Debian's orthanc-gdcm
 * segfaults Orthanc 1.10.1 on exactly these per-frame requests, so our Orthanc never loads it: see
 * scripts/orthanc.sh; such frames, and any the PACS refuses, fall back to the server's decoders, see fetchFramePixels). Never drop the transfer-syntax
 * parameter, or the PACS may answer the stored (compressed) bytes we cannot decode.
 */
export const FRAME_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1';

/** A decoded frame in the shape cornerstone-core expects of an image (plain object, no cornerstone import). */
export interface LoadedImage {
  imageId: string;
  minPixelValue: number;
  maxPixelValue: number;
  slope: number;
  intercept: number;
  windowCenter: number;
  windowWidth: number;
  rows: number;
  columns: number;
  height: number;
  width: number;
  color: false;
  invert: boolean;
  rowPixelSpacing: number;
  columnPixelSpacing: number;
  sizeInBytes: number;
  getPixelData: () => Int16Array | Uint16Array | Uint8Array;
}

const registry = new Map<string, SliceMeta>();

export function imageIdOf(slice: SliceMeta): string {
  return `${IMAGE_SCHEME}:${slice.frameUrl}`;
}

/** Registers the slices of an opened series so the loader knows their pixel format. */
export function registerSlices(slices: readonly SliceMeta[]): void {
  for (const slice of slices) registry.set(imageIdOf(slice), slice);
}

export function unregisterSlices(slices: readonly SliceMeta[]): void {
  for (const slice of slices) {
    registry.delete(imageIdOf(slice));
    streaming.delete(imageIdOf(slice));
  }
}

export class FrameDecodeError extends Error {
  override name = 'FrameDecodeError';
}

/**
 * Fetches one frame through the server's DICOMweb proxy, transcoded by the PACS to explicit little endian;
 * when the PACS cannot transcode it (an error status, another transfer syntax, or a body of the wrong size),
 * falls back to the server decoding the instance (`/api/decoded-frames/...`). The image owns a new,
 * aligned typed array of stored values (before rescale).
 */
export async function loadFrame(imageId: string, signal?: AbortSignal): Promise<LoadedImage> {
  const slice = registry.get(imageId);
  if (!slice) throw new FrameDecodeError(`Loading ${imageId} failed: its series is not open`);
  const streamed = streaming.get(imageId);
  if (streamed) {
    try {
      return await streamed.promise;
    } catch (error) {
      if (!(error instanceof NotStreamed)) throw error;
    } finally {
      streaming.delete(imageId);
    }
  }
  return toImage(imageId, slice, await fetchFramePixels(slice, signal));
}

/** Tries per frame when the answer never arrives or is cut (a dropped connection is worth asking again). */
const FRAME_TRIES = 3;

async function fetchFramePixels(slice: SliceMeta, signal: AbortSignal | undefined): Promise<Int16Array | Uint16Array | Uint8Array> {
  for (let attempt = 1; ; attempt++) {
    try {
      try {
        return await fetchTranscoded(slice, signal);
      } catch (error) {
        if (!(error instanceof TranscodingRefused)) throw error;
        return await fetchDecodedOnServer(slice, signal);
      }
    } catch (error) {
      // NetworkError: no answer; TypeError: the body was cut (fetch's "network error" while reading it).
      const dropped = error instanceof NetworkError || (error instanceof TypeError && !(error instanceof ApiError));
      if (!dropped || signal?.aborted || attempt >= FRAME_TRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** A slice that the series stream will deliver; `settle` is first come, first served (stream or priority fetch). */
interface Pending {
  promise: Promise<LoadedImage>;
  settled: boolean;
  resolve(image: LoadedImage): void;
  reject(error: unknown): void;
}

/** The series stream did not carry this slice (or could not read it); the loader fetches its frame alone. */
class NotStreamed extends Error {
  override name = 'NotStreamed';
}

const streaming = new Map<string, Pending>();

function pending(): Pending {
  let resolve!: (image: LoadedImage) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<LoadedImage>((res, rej) => ((resolve = res), (reject = rej)));
  const entry: Pending = {
    promise,
    settled: false,
    resolve: (image) => ((entry.settled = true), resolve(image)),
    reject: (error) => ((entry.settled = true), reject(error)),
  };
  // Nobody may await a slice the viewer never asks for; its rejection is not an error.
  promise.catch(() => undefined);
  return entry;
}

/**
 * True when {@link streamSeries} can deliver the slice: a registered single-frame image. A frame of a
 * multi-frame instance is fetched per frame, since the series answer carries the instance as one part.
 */
export function isStreamable(imageId: string): boolean {
  const slice = registry.get(imageId);
  return slice !== undefined && slice.frameNumber === undefined;
}

/**
 * Retrieves the whole series in one WADO-RS request (PS3.18 §10.4.1.1.2, `multipart/related;
 * type="application/dicom"`, the stored transfer syntax), parsed as it streams in by a dedicated worker
 * (series-stream.worker.ts), so every slice arrives with one round trip instead of one request each and
 * the page's main thread stays free to render. Slices it cannot read (compressed or big-endian storage,
 * a part missing, the request failing, no worker) fall back to per-frame retrieval in {@link loadFrame}.
 * Call it synchronously before asking cornerstone for the slices, so the loader finds them pending.
 * Resolves when the stream has ended; aborting `signal` stops it (the worker is terminated, which aborts
 * its fetch) and leaves the rest to per-frame loads.
 */
export async function streamSeries(imageIds: readonly string[], signal: AbortSignal): Promise<StreamReport> {
  const report: StreamReport = { startedAt: performance.now(), outcome: 'not started', delivered: 0 };
  const bySop = new Map<string, { imageId: string; slice: SliceMeta; entry: Pending }>();
  let seriesUrl: string | undefined;
  for (const imageId of imageIds) {
    const slice = registry.get(imageId);
    if (!slice || streaming.has(imageId) || !isStreamable(imageId)) continue;
    const url = slice.frameUrl.replace(/\/instances\/[^/]+\/frames\/1$/, '');
    if (seriesUrl !== undefined && url !== seriesUrl) continue;
    seriesUrl = url;
    const entry = pending();
    streaming.set(imageId, entry);
    bySop.set(slice.sopInstanceUID, { imageId, slice, entry });
  }
  if (!seriesUrl || bySop.size === 0) return report;
  const worker = takeStreamWorker();
  try {
    if (!worker) report.outcome = 'no worker';
    if (!worker || signal.aborted) return report;
    await new Promise<void>((resolve) => {
      const done = (outcome: StreamReport['outcome']) => {
        signal.removeEventListener('abort', onAbort);
        report.outcome = outcome;
        report.endedAt = performance.now();
        resolve();
      };
      const onAbort = () => done('aborted');
      signal.addEventListener('abort', onAbort);
      worker.onerror = () => done('failed');
      worker.onmessage = (event: MessageEvent<FromStreamWorker>) => {
        const message = event.data;
        if (message.type === 'end') return done(message.outcome);
        if (message.type === 'response') {
          report.responseAt = performance.now();
          if (message.status === 401) reportUnauthorized();
          return;
        }
        const target = bySop.get(message.sopInstanceUID);
        if (!target || target.entry.settled) return;
        try {
          target.entry.resolve(toImage(target.imageId, target.slice, typedPixels(message.buffer, target.slice), message));
          report.delivered++;
          report.firstSliceAt ??= performance.now();
          report.lastSliceAt = performance.now();
        } catch (error) {
          target.entry.reject(error);
        }
      };
      const request: StartStream = {
        type: 'start',
        url: new URL(seriesUrl!, document.baseURI).href,
        headers: Object.fromEntries(authHeaders({ Accept: SERIES_ACCEPT }).entries()),
        slices: [...bySop.values()].map(({ slice }) => ({
          sopInstanceUID: slice.sopInstanceUID,
          rows: slice.rows,
          columns: slice.columns,
          bitsAllocated: slice.bitsAllocated,
          pixelRepresentation: slice.pixelRepresentation,
        })),
      };
      worker.postMessage(request);
    });
  } finally {
    worker?.terminate();
    // Left the view: the waiting loads end too, rather than each fetching its frame alone.
    for (const { imageId, entry } of bySop.values()) {
      if (!entry.settled) entry.reject(signal.aborted ? new DOMException(`Loading ${imageId} was cancelled`, 'AbortError') : new NotStreamed(imageId));
    }
  }
  return report;
}

/**
 * How a series stream went, on the page's clock (performance.now(), ms): when it started, when the answer's
 * headers, its first and last slice reached the page, and when it ended; how many slices it delivered.
 */
export interface StreamReport {
  startedAt: number;
  responseAt?: number;
  firstSliceAt?: number;
  lastSliceAt?: number;
  endedAt?: number;
  outcome: StreamEnd['outcome'] | 'aborted' | 'no worker' | 'not started';
  delivered: number;
}

/** A worker started ahead (its module loads while the metadata and the first frame are fetched). */
let spareWorker: Worker | undefined;

/**
 * Starts the series-stream worker now, so that {@link streamSeries} finds it loaded. Vite bundles the
 * worker as a file of our origin (CSP `worker-src 'self'`); never build it from a blob: URL.
 */
export function warmUpStreamWorker(): void {
  if (spareWorker) return;
  try {
    spareWorker = new Worker(new URL('./series-stream.worker.ts', import.meta.url), { type: 'module', name: 'covseg-series-stream' });
  } catch {
    spareWorker = undefined; // no workers here: every slice is fetched per frame
  }
}

function takeStreamWorker(): Worker | undefined {
  warmUpStreamWorker();
  const worker = spareWorker;
  spareWorker = undefined;
  return worker;
}

/** Wraps a transferred buffer of stored values in the typed array the slice's format calls for. */
function typedPixels(buffer: ArrayBuffer, slice: SliceMeta): Int16Array | Uint16Array | Uint8Array {
  if (slice.bitsAllocated === 8) return new Uint8Array(buffer);
  return slice.pixelRepresentation === 1 ? new Int16Array(buffer) : new Uint16Array(buffer);
}

/**
 * The slice on screen must not wait for its turn in the series stream: fetches its frame alone and hands
 * it to whoever waits for it, unless the stream delivers it first.
 */
export function prioritise(imageId: string, signal?: AbortSignal): void {
  const entry = streaming.get(imageId);
  const slice = registry.get(imageId);
  if (!entry || entry.settled || !slice) return;
  fetchFramePixels(slice, signal).then(
    (pixels) => {
      if (!entry.settled) entry.resolve(toImage(imageId, slice, pixels));
    },
    () => {
      if (!entry.settled) entry.reject(new NotStreamed(imageId));
    },
  );
}

/** A series retrieve in the stored transfer syntax (PS3.18 Table 8.7.3-5: `*` lets the origin choose). */
const SERIES_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*';

/** `range`: the stored values' min and max when the caller already knows them (the stream worker does). */
function toImage(imageId: string, slice: SliceMeta, pixels: Int16Array | Uint16Array | Uint8Array, range?: { min: number; max: number }): LoadedImage {
  let min = range?.min ?? Infinity;
  let max = range?.max ?? -Infinity;
  if (!range) {
    for (let i = 0; i < pixels.length; i++) {
      const v = pixels[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const huMin = min * slice.rescaleSlope + slice.rescaleIntercept;
  const huMax = max * slice.rescaleSlope + slice.rescaleIntercept;
  return {
    imageId,
    minPixelValue: min,
    maxPixelValue: max,
    slope: slice.rescaleSlope,
    intercept: slice.rescaleIntercept,
    windowCenter: slice.windowCenter ?? (huMin + huMax) / 2,
    windowWidth: slice.windowWidth ?? Math.max(1, huMax - huMin),
    rows: slice.rows,
    columns: slice.columns,
    height: slice.rows,
    width: slice.columns,
    color: false,
    invert: slice.photometricInterpretation === 'MONOCHROME1',
    rowPixelSpacing: slice.pixelSpacing[0],
    columnPixelSpacing: slice.pixelSpacing[1],
    sizeInBytes: pixels.byteLength,
    getPixelData: () => pixels,
  };
}

/** The PACS answered, but not with an uncompressed frame; the server can decode the instance instead. */
class TranscodingRefused extends Error {
  override name = 'TranscodingRefused';
}

const EXPLICIT_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

async function fetchTranscoded(slice: SliceMeta, signal: AbortSignal | undefined): Promise<Int16Array | Uint16Array | Uint8Array> {
  const response = await send(slice.frameUrl, FRAME_ACCEPT, signal);
  // 401/404 mean the same for the fallback; 5xx/406/400 from a PACS usually mean "cannot transcode".
  if (response.status === 401) {
    reportUnauthorized();
    throw new UnauthorizedError(`GET ${slice.frameUrl} failed with status 401`, 401);
  }
  if (response.status === 404) throw new ApiError(`Loading slice ${slice.sopInstanceUID} failed with status 404: the PACS does not have it`, 404);
  if (!response.ok) throw new TranscodingRefused(`status ${response.status}`);
  const contentType = response.headers.get('content-type') ?? '';
  const syntax = /transfer-syntax=([0-9.]+)/i.exec(contentType)?.[1];
  if (syntax && syntax !== EXPLICIT_LITTLE_ENDIAN) {
    await response.body?.cancel();
    throw new TranscodingRefused(`transfer syntax ${syntax}`);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const body = contentType.toLowerCase().startsWith('multipart/') ? firstMultipartPart(bytes, contentType) : bytes;
  if (body.length < slice.rows * slice.columns * (slice.bitsAllocated / 8)) throw new TranscodingRefused(`${body.length} bytes`);
  return toPixels(body, slice);
}

async function fetchDecodedOnServer(slice: SliceMeta, signal: AbortSignal | undefined): Promise<Int16Array | Uint16Array | Uint8Array> {
  const url = slice.frameUrl.replace(/^\/api\/dicomweb\//, '/api/decoded-frames/').replace(/\/frames\/(\d+)$/, '?frame=$1');
  const response = await send(url, 'application/octet-stream', signal);
  if (response.status === 401) {
    reportUnauthorized();
    throw new UnauthorizedError(`GET ${url} failed with status 401`, 401);
  }
  if (!response.ok) {
    const reason = await response.text().then((t) => (JSON.parse(t) as { message?: string }).message ?? t).catch(() => '');
    throw new ApiError(`Loading slice ${slice.sopInstanceUID} failed: the PACS cannot transcode it and the server could not decode it (status ${response.status}${reason ? `: ${reason}` : ''})`, response.status);
  }
  const bits = Number(response.headers.get('x-bits-allocated'));
  const signed = response.headers.get('x-pixel-signed') === 'true';
  const copy = new Uint8Array(await response.arrayBuffer());
  const count = slice.rows * slice.columns;
  if (copy.length !== count * (bits / 8)) throw new FrameDecodeError(`Decoding slice ${slice.sopInstanceUID} failed: the server sent ${copy.length} bytes for ${count} pixels`);
  if (bits === 8) return copy;
  return signed ? new Int16Array(copy.buffer) : new Uint16Array(copy.buffer);
}

async function send(url: string, accept: string, signal: AbortSignal | undefined): Promise<Response> {
  try {
    return await fetch(url, { headers: authHeaders({ Accept: accept }), signal });
  } catch (cause) {
    if (signal?.aborted) throw cause;
    throw new NetworkError(`GET ${url} failed: the server did not answer`, 0, { cause });
  }
}

function toPixels(body: Uint8Array, slice: SliceMeta): Int16Array | Uint16Array | Uint8Array {
  const count = slice.rows * slice.columns;
  const bytesPerPixel = slice.bitsAllocated / 8;
  if (bytesPerPixel !== 1 && bytesPerPixel !== 2) {
    throw new FrameDecodeError(`Decoding slice ${slice.sopInstanceUID} failed: BitsAllocated ${slice.bitsAllocated} is not supported`);
  }
  if (body.length < count * bytesPerPixel) {
    throw new FrameDecodeError(
      `Decoding slice ${slice.sopInstanceUID} failed: expected ${count * bytesPerPixel} uncompressed bytes, got ${body.length} (did the PACS refuse to transcode?)`,
    );
  }
  // Copy: the multipart body may start at an odd offset, and typed arrays need alignment.
  const copy = body.slice(0, count * bytesPerPixel);
  if (bytesPerPixel === 1) return copy;
  return slice.pixelRepresentation === 1 ? new Int16Array(copy.buffer) : new Uint16Array(copy.buffer);
}
