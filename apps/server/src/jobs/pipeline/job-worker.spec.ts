import { describe, expect, it, vi } from 'vitest';
import { DicomwebNetworkError } from '@covseg/dicom';
import { AppConfig, loadConfig } from '../../core/repositories/config.repository';
import { JobRecord, JobRepository } from '../repositories/job.repository';
import { JobWorker } from './job-worker';
import { JobResult } from './job-result';
import { SegmentationPipeline } from './segmentation.pipeline';
import { MetricsService } from '../../metrics/services/metrics.service';

const result: JobResult = { segSeriesInstanceUID: '1.2.9', segSopInstanceUID: '1.2.9.1', reused: 'none', model: { name: 'm', version: '1', trained: true }, quantification: null };

function job(id: string): JobRecord {
  return { id, studyInstanceUID: '1.2.3', attempts: 1 } as JobRecord;
}

/** A worker over an in-memory queue and a pipeline the test drives by hand. */
function setup(options: { concurrency?: number; queued?: string[]; requeued?: string[] } = {}) {
  const queue = [...(options.queued ?? [])];
  const jobs = {
    requeueRunning: vi.fn(() => options.requeued ?? []),
    claimNext: vi.fn(() => (queue.length ? job(queue.shift()!) : undefined)),
    succeed: vi.fn(),
    fail: vi.fn(),
    requeue: vi.fn(),
    markCancelled: vi.fn(),
    isCancelRequested: vi.fn(() => false),
    get: vi.fn(() => undefined),
  } as unknown as JobRepository;
  const metrics = { jobsStarted: { inc: vi.fn() }, jobFinished: vi.fn(), stageDuration: vi.fn(), pacsError: vi.fn() } as unknown as MetricsService;
  const runs = new Map<string, { resolve: (r: JobResult) => void; reject: (e: unknown) => void; signal: AbortSignal }>();
  const pipeline = {
    run: vi.fn(
      (record: JobRecord, signal: AbortSignal) =>
        new Promise<JobResult>((resolve, reject) => {
          runs.set(record.id, { resolve, reject, signal });
          signal.addEventListener('abort', () => reject(signal.reason));
        }),
    ),
  } as unknown as SegmentationPipeline;
  const config: AppConfig = { ...loadConfig({}), jobConcurrency: options.concurrency ?? 1, jobPollMs: 3_600_000, pacsRetries: 2 };
  const worker = new JobWorker(config, jobs, pipeline, metrics);
  return { worker, jobs, runs, queue };
}

describe('JobWorker', () => {
  it('requeues the jobs a dead process left running before it claims any', async () => {
    const { worker, jobs } = setup({ requeued: ['a'] });
    await worker.onApplicationBootstrap();
    expect(vi.mocked(jobs.requeueRunning).mock.invocationCallOrder[0]).toBeLessThan(vi.mocked(jobs.claimNext).mock.invocationCallOrder[0]);
    await worker.onModuleDestroy();
  });

  it('never runs more jobs at once than JOB_CONCURRENCY', async () => {
    const { worker, runs } = setup({ concurrency: 2, queued: ['a', 'b', 'c'] });
    await worker.onApplicationBootstrap();
    expect([...runs.keys()]).toEqual(['a', 'b']);
    runs.get('a')!.resolve(result);
    await vi.waitFor(() => expect([...runs.keys()]).toEqual(['a', 'b', 'c']));
    await worker.onModuleDestroy();
  });

  it('records success with the pipeline result', async () => {
    const { worker, jobs, runs } = setup({ queued: ['a'] });
    await worker.onApplicationBootstrap();
    runs.get('a')!.resolve(result);
    await vi.waitFor(() => expect(jobs.succeed).toHaveBeenCalledWith('a', result));
    await worker.onModuleDestroy();
  });

  it('records a failure with its code and a message that counts the PACS attempts', async () => {
    const { worker, jobs, runs } = setup({ queued: ['a'] });
    await worker.onApplicationBootstrap();
    runs.get('a')!.reject(new DicomwebNetworkError('QIDO-RS failed without a response (ECONNREFUSED): GET http://pacs/studies'));
    await vi.waitFor(() => expect(jobs.fail).toHaveBeenCalledWith('a', 'pacs-unavailable', expect.stringContaining('did not answer after 3 attempts')));
  });

  it('ends a cancelled running job as cancelled, not failed', async () => {
    const { worker, jobs } = setup({ queued: ['a'] });
    await worker.onApplicationBootstrap();
    worker.cancel('a');
    await vi.waitFor(() => expect(jobs.markCancelled).toHaveBeenCalledWith('a'));
    expect(jobs.fail).not.toHaveBeenCalled();
  });

  it('puts running jobs back in the queue on shutdown instead of failing them', async () => {
    const { worker, jobs, runs } = setup({ queued: ['a'] });
    await worker.onApplicationBootstrap();
    await worker.onModuleDestroy();
    expect(runs.get('a')!.signal.aborted).toBe(true);
    expect(jobs.requeue).toHaveBeenCalledWith('a');
    expect(jobs.fail).not.toHaveBeenCalled();
    expect(jobs.markCancelled).not.toHaveBeenCalled();
  });
});
