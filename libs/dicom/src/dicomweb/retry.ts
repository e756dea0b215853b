/**
 * The one retry helper of the project: exponential back-off with ±50 % jitter, capped, optionally
 * overridden per failure (a server's Retry-After), and stopped by an abort signal. Callers decide WHAT
 * may be retried (`shouldRetry`); this only decides WHEN. Never wrap a non-idempotent request (STOW-RS)
 * in it with a predicate that accepts an unclear outcome (500, timeout): the PACS may have stored it.
 */
export interface RetryOptions {
  /** Further attempts after the first (0 = no retry). */
  retries: number;
  /** First delay in milliseconds; doubles per attempt. */
  backoffMs: number;
  /** Upper bound on any single wait, Retry-After included, in milliseconds. */
  maxBackoffMs?: number;
  /** True when `error`, thrown by attempt `attempt` (1-based), may be retried. */
  shouldRetry: (error: unknown, attempt: number) => boolean;
  /** A wait the failure itself asks for (e.g. Retry-After), in milliseconds; undefined: back-off. */
  delayFor?: (error: unknown) => number | undefined;
  /** Aborting stops the wait; the helper then rethrows the last error. */
  signal?: AbortSignal;
}

/** Runs `operation` (given the 1-based attempt number) until it succeeds or a failure may not be retried. */
export async function retry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt > options.retries || options.signal?.aborted || !options.shouldRetry(error, attempt)) throw error;
      const asked = options.delayFor?.(error);
      // Jitter spreads the retries of many workers hit by the same outage.
      const delay = asked ?? options.backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random());
      await sleep(Math.min(delay, maxBackoffMs), options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
