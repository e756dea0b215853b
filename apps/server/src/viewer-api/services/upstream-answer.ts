/**
 * Reading a PACS answer for the DICOMweb proxy before the first byte goes to the browser: while nothing
 * has been sent, a cut answer can still be asked for again or turned into a clean 502, instead of a
 * truncated 200 the browser can only report as "terminated".
 */
import { endsWithClosingDelimiter } from '@covseg/dicom';

/** The first bytes of an answer, read up to a limit. */
export interface AnswerPrefix {
  chunks: Uint8Array[];
  bytes: number;
  /** The whole answer was read (the stream ended within the limit). */
  complete: boolean;
  /** The stream failed while reading (a connection closed mid-body, an abort, the size cap). */
  error?: unknown;
  /** The rest of the answer, when `complete` is false and there was no error. */
  reader: ReadableStreamDefaultReader<Uint8Array>;
}

/** No chunk came for the idle limit: the PACS stalled mid-body. */
export class AnswerStalledError extends Error {
  override name = 'AnswerStalledError';
}

/**
 * Reads `body` until it ends, fails, or more than `limit` bytes arrived (then the rest stays in
 * `reader`). A wait of more than `idleMs` for the next chunk cancels the body (AnswerStalledError).
 */
export async function readPrefix(body: ReadableStream<Uint8Array>, limit: number, idleMs: number): Promise<AnswerPrefix> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  let timer: NodeJS.Timeout | undefined;
  try {
    while (bytes <= limit) {
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new AnswerStalledError(`no byte for ${idleMs} ms after ${bytes} bytes`)), idleMs);
      });
      const { done, value } = await Promise.race([reader.read(), stalled]);
      clearTimeout(timer);
      if (done) return { chunks, bytes, complete: true, reader };
      chunks.push(value);
      bytes += value.length;
    }
    return { chunks, bytes, complete: false, reader };
  } catch (error) {
    clearTimeout(timer);
    if (error instanceof AnswerStalledError) await reader.cancel(error).catch(() => undefined);
    return { chunks, bytes, complete: false, error, reader };
  }
}

/** The chunks as one buffer (no copy for a single chunk). */
export function concatChunks(chunks: readonly Uint8Array[], bytes: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const all = new Uint8Array(bytes);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

/** The prefix chunks, then whatever `reader` still holds: the answer as one stream again. */
export function resumeStream(prefix: readonly Uint8Array[], reader: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  const pending = [...prefix];
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = pending.shift();
      if (next) return controller.enqueue(next);
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        controller.error(error);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** Bytes of a streamed answer's end kept to check it with {@link whyIncomplete} (a boundary is at most 70 characters, RFC 2046 §5.1.1). */
export const TAIL_BYTES = 256;

/** The last TAIL_BYTES of `previous` followed by `chunk`. */
export function keepTail(previous: Uint8Array, chunk: Uint8Array): Uint8Array {
  if (chunk.length >= TAIL_BYTES) return chunk.slice(chunk.length - TAIL_BYTES);
  const joined = new Uint8Array(Math.min(TAIL_BYTES, previous.length + chunk.length));
  const fromPrevious = joined.length - chunk.length;
  joined.set(previous.subarray(previous.length - fromPrevious), 0);
  joined.set(chunk, fromPrevious);
  return joined;
}

const CLOSE_BRACKETS = new Set([0x5d, 0x7d]); // ] }
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Why a whole 2xx answer is visibly incomplete, or undefined when nothing says so. Node's fetch ends a
 * chunked body cut by a closing connection without an error, so the body itself is checked:
 * - a Content-Length (of an unencoded answer) that the body does not reach;
 * - a multipart answer without its closing delimiter `--boundary--` (PS3.18 §8.7.3.2, RFC 2046; the library's check);
 * - a DICOM JSON answer that does not end with `]` or `}`.
 * `body` may be only the last bytes of an answer of `totalBytes` (a streamed answer keeps its tail: TAIL_BYTES).
 */
export function whyIncomplete(body: Uint8Array, headers: Headers, totalBytes = body.length): string | undefined {
  const declared = headers.get('content-length');
  if (declared !== null && !headers.get('content-encoding') && /^\d+$/.test(declared) && Number(declared) !== totalBytes) {
    return `${totalBytes} of the ${declared} bytes announced`;
  }
  const type = headers.get('content-type') ?? '';
  const closed = endsWithClosingDelimiter(body, type);
  if (closed !== undefined) return closed ? undefined : 'the multipart answer has no closing boundary';
  if (/json/i.test(type) && body.length > 0) {
    let end = body.length;
    while (end > 0 && WHITESPACE.has(body[end - 1]!)) end--;
    return end > 0 && CLOSE_BRACKETS.has(body[end - 1]!) ? undefined : 'the JSON answer stops before its end';
  }
  return undefined;
}
