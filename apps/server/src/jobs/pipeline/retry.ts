import { isTransient } from './job-failure';

export interface RetryOptions {
  /** Further attempts after the first (0 = no retry). */
  retries: number;
  /** First delay in ms; doubles each attempt, with +-50 % jitter so restarted jobs do not stampede. */
  baseMs: number;
  signal?: AbortSignal;
}

/**
 * Runs `operation` again after a transient PACS failure. Only for operations that are safe to repeat:
 * STOW of an outbox SEG is (same SOP Instance UID, PS3.4 B.4.1: a re-store replaces), a fresh build is not.
 */
export async function withRetry<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= options.retries || !isTransient(error) || options.signal?.aborted) throw error;
      const delay = options.baseMs * 2 ** attempt * (0.5 + Math.random());
      await sleep(delay, options.signal);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
