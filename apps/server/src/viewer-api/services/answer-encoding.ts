import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

/** Below this, gzip's header and a second round trip through zlib cost more than the bytes saved. */
const MIN_BYTES = 1024;

/**
 * Whether an Accept-Encoding header accepts gzip (RFC 9110 §12.5.3): `gzip` or `*` with a q-value above
 * zero, and no `gzip;q=0` refusing it.
 */
export function acceptsGzip(acceptEncoding: string | string[] | undefined): boolean {
  const header = Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : acceptEncoding;
  if (!header) return false;
  let star: boolean | undefined;
  for (const part of header.split(',')) {
    const [coding = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p)).find(Boolean);
    const accepted = q ? Number(q[1]) > 0 : true;
    if (coding.trim() === 'gzip' || coding.trim() === 'x-gzip') return accepted;
    if (coding.trim() === '*') star = accepted;
  }
  return star === true;
}

/** JSON answers (QIDO, metadata): about 10x smaller gzipped. DICOM and pixel data are not worth the CPU. */
export function isCompressibleType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === 'application/dicom+json' || type === 'application/json';
}

/**
 * Gzip of whole proxy answers, made once per answer: the body object of one PACS answer is shared by
 * every request that was coalesced on it or answered from the recent answers, so a burst of identical
 * requests compresses it once (keyed weakly by that object, so it goes when the answer goes).
 */
export class AnswerCompressor {
  private readonly made = new WeakMap<Uint8Array, Promise<Buffer>>();

  /** @param level zlib level 1-9; 0 never compresses */
  constructor(private readonly level: number) {}

  get disabled(): boolean {
    return this.level === 0;
  }

  /** The gzip of `body` when it is worth sending compressed to this caller, else undefined. */
  async gzipFor(body: Uint8Array, contentType: string | undefined, acceptEncoding: string | string[] | undefined): Promise<Buffer | undefined> {
    if (this.level === 0 || body.length < MIN_BYTES || !isCompressibleType(contentType) || !acceptsGzip(acceptEncoding)) return undefined;
    let gzipped = this.made.get(body);
    if (!gzipped) {
      // zlib's thread pool, off the event loop.
      gzipped = gzipAsync(body, { level: this.level });
      this.made.set(body, gzipped);
    }
    const bytes = await gzipped.catch(() => {
      // Never expected (zlib on memory); the answer then goes out as it came.
      this.made.delete(body);
      return undefined;
    });
    return bytes && bytes.length < body.length ? bytes : undefined;
  }
}
