/** One whole PACS answer kept in memory. */
export interface CachedAnswer {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/**
 * Whether a checked proxy path names one instance or part of it (`studies/{uid}/series/{uid}/instances/{uid}`
 * and its `/frames/…`, `/metadata`, `/rendered`, `/bulk…`): a SOP Instance UID names one object that
 * never changes (PS3.3 C.12.1.1.1), so its answer may be kept. Studies, series and QIDO answers grow as
 * instances arrive, and are never kept.
 */
export function isInstanceResource(path: string): boolean {
  const segments = path.split('/');
  return segments.length >= 6 && segments[0] === 'studies' && segments[2] === 'series' && segments[4] === 'instances' && segments[5] !== '';
}

/**
 * A byte-bounded, least-recently-used store of whole instance answers of the DICOMweb proxy.
 *
 * Keys are built by the proxy from the endpoint's id AND its last change (`updatedAt`), the path, the
 * query and the Accept header: an answer is only ever served again for the same endpoint as configured
 * when it was fetched. Never key by path alone: two endpoints (two PACS, two sets of credentials) may
 * hold different objects, or refuse, under the same UIDs. The proxy reaches a PACS with the endpoint's
 * credentials, not the user's, and every caller is authenticated by the global guard before the cache is
 * looked at, so any caller allowed through the proxy to that endpoint would get the same answer.
 *
 * What it gives up: an instance deleted from the PACS is still served from here until it is evicted or
 * `ttlMs` passes.
 */
export class ProxyAnswerCache {
  private readonly entries = new Map<string, { answer: CachedAnswer; at: number }>();
  private bytes = 0;

  /**
   * @param maxBytes total body bytes kept; 0 disables the cache.
   * @param maxEntryBytes largest single body kept (a multi-frame instance must not flush everything else).
   * @param ttlMs how long an answer is served before it is fetched again.
   */
  constructor(
    readonly maxBytes: number,
    readonly maxEntryBytes = Math.floor(maxBytes / 8),
    private readonly ttlMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  get(key: string): CachedAnswer | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (this.now() - entry.at > this.ttlMs) {
      this.bytes -= entry.answer.body.length;
      return undefined;
    }
    // Re-inserted: a Map iterates in insertion order, so the first key is the least recently used.
    this.entries.set(key, entry);
    return entry.answer;
  }

  /** Keeps a 200 answer whose body fits; anything else is ignored. */
  set(key: string, answer: CachedAnswer): void {
    if (answer.status !== 200 || answer.body.length > this.maxEntryBytes || this.maxBytes === 0) return;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.bytes -= old.answer.body.length;
    }
    this.entries.set(key, { answer, at: this.now() });
    this.bytes += answer.body.length;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.answer.body.length;
    }
  }
}
