import { describe, expect, it } from 'vitest';
import type { SegmentationModel } from '@covseg/segmentation';
import type { JobRecord, JobRepository } from '../repositories/job.repository';
import { JobContext, PROGRESS_WRITE_INTERVAL_MS } from './job-context';

/** A JobContext whose repository records the progress rows written. */
function contextWithRows() {
  const rows: Array<[number, number]> = [];
  const jobs = { setProgress: async (_id: string, done: number, total: number) => void rows.push([done, total]) } as unknown as JobRepository;
  const clock = { ms: 0 };
  const context = new JobContext({ id: 'job-1' } as JobRecord, undefined, {} as SegmentationModel, new AbortController().signal, { retries: 0, baseMs: 1 }, jobs, () => clock.ms);
  return { context, rows, clock };
}

describe('JobContext progress', () => {
  it('writes the first and last progress at once and at most one row per interval between them', async () => {
    const { context, rows, clock } = contextWithRows();
    context.progress(0, 40);
    for (let done = 1; done < 20; done++) context.progress(done, 40);
    await context.flush();
    // flush writes the newest value held back.
    expect(rows).toEqual([
      [0, 40],
      [19, 40],
    ]);
    clock.ms += PROGRESS_WRITE_INTERVAL_MS;
    context.progress(25, 40);
    context.progress(26, 40);
    context.progress(40, 40);
    await context.flush();
    expect(rows).toEqual([
      [0, 40],
      [19, 40],
      [25, 40],
      [40, 40],
    ]);
  });

  it('writes nothing more at flush when the newest progress was already written', async () => {
    const { context, rows } = contextWithRows();
    context.progress(0, 10);
    context.progress(10, 10);
    await context.flush();
    await context.flush();
    expect(rows).toEqual([
      [0, 10],
      [10, 10],
    ]);
  });
});
