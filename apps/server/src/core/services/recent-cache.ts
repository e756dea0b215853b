import { performance } from 'node:perf_hooks';

/**
 * Answers of a lookup (a token's principal, an endpoint's record) trusted for at most `ttlMs` after they
 * were read, so that a burst of requests reads the database once instead of once each. Bounded to
 * `maxEntries` (the oldest entry goes first).
 *
 * Invariants:
 * - `invalidate()` / `delete()` take effect at once for this process: a load that started before them
 *   never stores its (possibly stale) answer afterwards (the generation check), and concurrent
 *   loads of one key share one read.
 * - Another process's change is seen within `ttlMs` at most: that bound is the documented price, so
 *   never raise the defaults without saying so in the README.
 * - Only found values are kept: an unknown key is read again each time (no memory grows from guesses).
 */
export class RecentCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  private readonly loads = new Map<string, { generation: number; promise: Promise<V | undefined> }>();
  private generation = 0;

  /**
   * @param ttlMs how long an answer is trusted (ms); 0 turns the cache off (every call loads)
   * @param now a monotonic clock in ms (tests pass their own)
   */
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * The value for `key`, from memory when read less than `ttlMs` ago, else from `load`.
   * @param expiresInMs of a loaded value: how long it may be kept at most (a token's own expiry), ms from now
   */
  async getOrLoad(key: string, load: () => Promise<V | undefined>, expiresInMs?: (value: V) => number): Promise<V | undefined> {
    if (this.ttlMs <= 0) return load();
    const entry = this.entries.get(key);
    if (entry && entry.until > this.now()) return entry.value;
    if (entry) this.entries.delete(key);
    const pending = this.loads.get(key);
    if (pending && pending.generation === this.generation) return pending.promise;
    const generation = this.generation;
    const promise = load().then((value) => {
      if (this.loads.get(key)?.promise === promise) this.loads.delete(key);
      if (value === undefined || generation !== this.generation) return value;
      const keepMs = Math.min(this.ttlMs, expiresInMs ? expiresInMs(value) : this.ttlMs);
      if (keepMs <= 0) return value;
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(key, { value, until: this.now() + keepMs });
      return value;
    });
    // A failed load is not kept: the next caller tries again.
    promise.catch(() => {
      if (this.loads.get(key)?.promise === promise) this.loads.delete(key);
    });
    this.loads.set(key, { generation, promise });
    return promise;
  }

  /** Forgets one key, including a load of it in progress. */
  delete(key: string): void {
    this.entries.delete(key);
    this.invalidateLoads();
  }

  /** Forgets everything, including loads in progress. */
  invalidate(): void {
    this.entries.clear();
    this.invalidateLoads();
  }

  private invalidateLoads(): void {
    this.generation += 1;
    this.loads.clear();
  }
}
