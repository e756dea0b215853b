import { describe, expect, it } from 'vitest';
import { DicomwebHttpError, DicomwebNetworkError } from './dicomweb-errors';
import { retry } from './retry';

const transient = (error: unknown) => error instanceof DicomwebHttpError || error instanceof DicomwebNetworkError ? (error as { transient: boolean }).transient : false;

describe('retry', () => {
  it('retries a failure the caller accepts and returns the later success', async () => {
    let calls = 0;
    const result = await retry(async () => {
      calls += 1;
      if (calls < 3) throw new DicomwebNetworkError('QIDO-RS failed without a response (ECONNREFUSED): GET http://pacs/studies');
      return 'found';
    }, { retries: 4, backoffMs: 1, shouldRetry: transient });
    expect(result).toBe('found');
    expect(calls).toBe(3);
  });

  it('gives up after the configured number of retries with the last error', async () => {
    let calls = 0;
    const failing = retry(async () => {
      calls += 1;
      throw new DicomwebHttpError('QIDO-RS failed with status 503: GET http://pacs/studies', 503);
    }, { retries: 2, backoffMs: 1, shouldRetry: transient });
    await expect(failing).rejects.toThrow('status 503');
    expect(calls).toBe(3);
  });

  it('does not retry what the caller refuses, such as a 400', async () => {
    let calls = 0;
    const failing = retry(async () => {
      calls += 1;
      throw new DicomwebHttpError('QIDO-RS failed with status 400: GET http://pacs/studies', 400);
    }, { retries: 5, backoffMs: 1, shouldRetry: transient });
    await expect(failing).rejects.toThrow('status 400');
    expect(calls).toBe(1);
  });

  it('waits as long as the failure asks (Retry-After), capped by maxBackoffMs', async () => {
    let calls = 0;
    const started = Date.now();
    await retry(async () => {
      calls += 1;
      if (calls === 1) throw new DicomwebHttpError('QIDO-RS failed with status 429', 429);
    }, { retries: 1, backoffMs: 60_000, maxBackoffMs: 50, shouldRetry: transient, delayFor: () => 10_000 });
    expect(calls).toBe(2);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stops waiting as soon as the signal aborts, with the last error', async () => {
    const controller = new AbortController();
    const error = new DicomwebNetworkError('QIDO-RS failed without a response (ECONNREFUSED)');
    const failing = retry(async () => {
      setTimeout(() => controller.abort(new Error('cancelled')), 5);
      throw error;
    }, { retries: 5, backoffMs: 10_000, shouldRetry: transient, signal: controller.signal });
    await expect(failing).rejects.toBe(error);
  });
});
