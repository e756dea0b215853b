import { authHeaders, UnauthorizedError, ApiError, NetworkError, reportUnauthorized } from '../api/http-client';
import { firstMultipartPart } from './multipart';
import type { SliceMeta } from './series-metadata';

/** Scheme of the viewer's own image loader; image ids are `covseg:<frame URL>`. */
export const IMAGE_SCHEME = 'covseg';

/**
 * PS3.18 §8.7.3.5.2: ask for the frame as Explicit VR Little Endian, so the PACS transcodes compressed
 * storage for us (Orthanc 1.10 + DICOMweb 1.7 does this for JPEG, JPEG-LS and JPEG 2000). Never drop the
 * transfer-syntax parameter, or the PACS may answer the stored (compressed) bytes we cannot decode.
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
  for (const slice of slices) registry.delete(imageIdOf(slice));
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
  let pixels: Int16Array | Uint16Array | Uint8Array;
  try {
    pixels = await fetchTranscoded(slice, signal);
  } catch (error) {
    if (!(error instanceof TranscodingRefused)) throw error;
    pixels = await fetchDecodedOnServer(slice, signal);
  }
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i];
    if (v < min) min = v;
    if (v > max) max = v;
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
  const url = slice.frameUrl.replace(/^\/api\/dicomweb\//, '/api/decoded-frames/').replace(/\/frames\/1$/, '?frame=1');
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
