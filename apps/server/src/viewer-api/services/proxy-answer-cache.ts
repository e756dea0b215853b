/** One whole PACS answer kept in memory. */
export interface CachedAnswer {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** Which endpoint and study an answer belongs to, so that a store into the study can drop it. */
export interface AnswerScope {
  endpointId: string;
  /** The study of a `studies/{uid}/…` path; null for a QIDO at the root (`studies?…`, `series?…`), which any study may change. */
  studyInstanceUID: string | null;
}

/** The scope of a checked proxy path of one endpoint. */
export function scopeOf(endpointId: string, path: string): AnswerScope {
  const [root, study] = path.split('/');
  return { endpointId, studyInstanceUID: root === 'studies' && study ? study : null };
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
 * A byte-bounded, least-recently-used store of whole answers of the DICOMweb proxy, each kept at most
 * `ttlMs`. The proxy holds two: instance answers for minutes (ProxyAnswerCache), and every other whole
 * answer (QIDO, series metadata) for about a second (RecentAnswerCache).
 *
 * Keys are built by the proxy from the endpoint's id AND its last change (`updatedAt`), the path, the
 * query and the Accept header: an answer is only ever served again for the same endpoint as configured
 * when it was fetched. Never key by path alone: two endpoints (two PACS, two sets of credentials) may
 * hold different objects, or refuse, under the same UIDs. The proxy reaches a PACS with the endpoint's
 * credentials, not the user's, and every caller is authenticated by the global guard before the cache is
 * looked at, so any caller allowed through the proxy to that endpoint would get the same answer.
 *
 * What it gives up: an answer changed on the PACS (an instance deleted, a series grown) is still served
 * from here until it is evicted, dropped (dropStudy) or `ttlMs` passes.
 */
export class ProxyAnswerCache {
  private readonly entries = new Map<string, { answer: CachedAnswer; at: number; scope: AnswerScope | undefined }>();
  private bytes = 0;
  private lastSweep: number;
  private drops = 0;

  /**
   * @param maxBytes total body bytes kept; 0 disables the cache.
   * @param maxEntryBytes largest single body kept (a multi-frame instance must not flush everything else).
   * @param ttlMs how long an answer is served before it is fetched again.
   * @param now the clock (ms); tests pass their own.
   */
  constructor(
    readonly maxBytes: number,
    readonly maxEntryBytes = Math.floor(maxBytes / 8),
    readonly ttlMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {
    this.lastSweep = now();
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  /**
   * Counts dropStudy calls. A fetch notes it before it starts and passes it to `set`, so that an answer
   * read before a store into its study is never kept after that store dropped the study.
   */
  get generation(): number {
    return this.drops;
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

  /**
   * Keeps a 200 answer whose body fits; anything else is ignored.
   * @param scope the endpoint and study it belongs to, for dropStudy
   * @param generation `generation` when the answer's fetch started: a dropStudy since then discards it
   */
  set(key: string, answer: CachedAnswer, scope?: AnswerScope, generation = this.drops): void {
    if (answer.status !== 200 || answer.body.length > this.maxEntryBytes || this.maxBytes === 0 || generation !== this.drops) return;
    this.sweepExpired();
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.bytes -= old.answer.body.length;
    }
    this.entries.set(key, { answer, at: this.now(), scope });
    this.bytes += answer.body.length;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.answer.body.length;
    }
  }

  /** Forgets every answer of the endpoint's study, and the endpoint's answers of no one study (root QIDO). */
  dropStudy(endpointId: string, studyInstanceUID: string): void {
    this.drops += 1;
    for (const [key, { answer, scope }] of this.entries) {
      if (scope?.endpointId !== endpointId || (scope.studyInstanceUID !== null && scope.studyInstanceUID !== studyInstanceUID)) continue;
      this.entries.delete(key);
      this.bytes -= answer.body.length;
    }
  }

  /** Frees expired answers nobody asks for again (at most once per `ttlMs`, so a set stays cheap). */
  private sweepExpired(): void {
    const now = this.now();
    if (now - this.lastSweep < this.ttlMs) return;
    this.lastSweep = now;
    for (const [key, entry] of this.entries) {
      if (now - entry.at <= this.ttlMs) continue;
      this.entries.delete(key);
      this.bytes -= entry.answer.body.length;
    }
  }
}

/**
 * The proxy's short memory of every other whole answer (QIDO, series and study metadata): a viewer
 * opening a study, or a burst of viewers, asks for the same few answers within a second, and a series'
 * metadata costs the PACS a read of every file. Kept PROXY_RECENT_ANSWER_MS (default 2 s): that is the
 * staleness bound for another process's store (another API or a worker of a scaled deployment); a store
 * by this process drops the study at once (PacsStoreEvents). A class of its own only so that Nest can
 * inject the two caches apart.
 */
export class RecentAnswerCache extends ProxyAnswerCache {}
