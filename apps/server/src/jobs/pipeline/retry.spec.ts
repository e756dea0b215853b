import { describe, expect, it } from 'vitest';
import { DicomwebHttpError, DicomwebNetworkError } from '@covseg/dicom';
import { withRetry } from './retry';

describe('withRetry', () => {
  it('retries a transient PACS failure and returns the later success', async () => {
    let calls = 0;
    const result = await withRetry(async () => {
      calls += 1;
      if (calls < 3) throw new DicomwebNetworkError('STOW-RS failed without a response (ECONNREFUSED): POST http://pacs/studies');
      return 'stored';
    }, { retries: 4, baseMs: 1 });
    expect(result).toBe('stored');
    expect(calls).toBe(3);
  });

  it('gives up after the configured number of retries with the last error', async () => {
    let calls = 0;
    const failing = withRetry(async () => {
      calls += 1;
      throw new DicomwebHttpError('STOW-RS failed with status 503: POST http://pacs/studies', 503);
    }, { retries: 2, baseMs: 1 });
    await expect(failing).rejects.toThrow('status 503');
    expect(calls).toBe(3);
  });

  it('does not retry a permanent failure such as a 400', async () => {
    let calls = 0;
    const failing = withRetry(async () => {
      calls += 1;
      throw new DicomwebHttpError('STOW-RS failed with status 400: POST http://pacs/studies', 400);
    }, { retries: 5, baseMs: 1 });
    await expect(failing).rejects.toThrow('status 400');
    expect(calls).toBe(1);
  });

  it('stops waiting as soon as the job is aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled');
    const failing = withRetry(async () => {
      setTimeout(() => controller.abort(reason), 5);
      throw new DicomwebNetworkError('QIDO-RS failed without a response (ECONNREFUSED)');
    }, { retries: 5, baseMs: 10_000, signal: controller.signal });
    await expect(failing).rejects.toBe(reason);
  });
});
