/**
 * Messages between the page and the series-stream worker (`series-stream.worker.ts`). One worker runs one
 * series retrieve; the page terminates it when the stream ends or the view goes (which aborts its fetch).
 */

/** What the page needs to know of a slice to turn its Pixel Data into a typed array (from the series metadata). */
export interface SliceFormat {
  sopInstanceUID: string;
  rows: number;
  columns: number;
  /** 8 or 16; anything else is not streamed. */
  bitsAllocated: number;
  /** 1 = signed (two's complement), 0 = unsigned (PS3.3 C.7.6.3.1.1). */
  pixelRepresentation: number;
}

/** Page → worker: retrieve `url` (absolute, same origin) and deliver the slices listed. */
export interface StartStream {
  type: 'start';
  url: string;
  /** Request headers (Accept, Authorization) as the page's HTTP client builds them. */
  headers: Record<string, string>;
  slices: SliceFormat[];
}

/** Worker → page: the HTTP status of the retrieve (the page reports a 401 to the login prompt). */
export interface StreamResponse {
  type: 'response';
  status: number;
}

/**
 * Worker → page: one slice's stored values (before rescale) in a buffer of its own, transferred (the page
 * owns it from then on): Int16 for signed 16-bit, Uint16 for unsigned, Uint8 for 8-bit; `min`/`max` are
 * the stored values' range.
 */
export interface StreamedSlice {
  type: 'slice';
  sopInstanceUID: string;
  buffer: ArrayBuffer;
  min: number;
  max: number;
}

/**
 * Worker → page, last message: `complete` (the answer ended), `unreadable` (stored compressed or big
 * endian, so the stream stopped at its first part), `refused` (not a multipart 2xx answer) or `failed`
 * (network or framing error). Slices not delivered fall back to per-frame retrieval in every case.
 */
export interface StreamEnd {
  type: 'end';
  outcome: 'complete' | 'unreadable' | 'refused' | 'failed';
  detail?: string;
}

export type FromStreamWorker = StreamResponse | StreamedSlice | StreamEnd;
