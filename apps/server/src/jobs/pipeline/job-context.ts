import { performance } from 'node:perf_hooks';
import { DicomwebClient } from '@covseg/dicom';
import { SegmentationModel } from '@covseg/segmentation';
import { JobRecord, JobRepository, JobStage, JobTimings } from '../repositories/job.repository';
import { NoDicomwebError } from './job.errors';

/** How often and how fast a job re-delivers its results (PACS_RETRIES, PACS_RETRY_BASE_MS). */
export interface DeliveryRetry {
  /** Further attempts after the first (0 = no retry). */
  retries: number;
  /** First delay in ms; doubles each attempt, with ±50 % jitter. */
  baseMs: number;
}

/**
 * Progress rows are written at most this often per job (ms), plus the first and the last: each write is
 * a committed transaction, and in the embedded deployment (SQLite, synchronous=FULL) an fsync on the
 * event loop. Per slice batch, four concurrent jobs spent 0.6 s of the event loop in progress writes
 * during bench/load.bench.ts --mode embedded (CPU profile), the viewer's requests waiting behind them.
 * The viewer polls a job about once a second, so it never sees the difference.
 */
export const PROGRESS_WRITE_INTERVAL_MS = 500;

/**
 * What every pipeline step gets: the job, the PACS client, the model, the abort signal (cancel, timeout,
 * shutdown) and the means to record stage timings and progress in the job's row.
 */
export class JobContext {
  readonly timings: JobTimings = {};
  /**
   * The job row's writes (stage, timings, progress) in the order they were made: progress callbacks
   * cannot await, and on a connection pool two unordered UPDATEs could land newest-first.
   */
  private writes: Promise<void> = Promise.resolve();
  private writeError: unknown;
  /** When progress was last written (performance.now()), and a newer value not written yet. */
  private progressWrittenAt = Number.NEGATIVE_INFINITY;
  private pendingProgress: { done: number; total: number } | undefined;

  constructor(
    readonly job: JobRecord,
    private readonly dicomweb: DicomwebClient | undefined,
    readonly model: SegmentationModel,
    readonly signal: AbortSignal,
    readonly retry: DeliveryRetry,
    private readonly jobs: JobRepository,
    /** A monotonic clock in ms (tests pass their own). */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The endpoint's DICOMweb client; a DIMSE-only endpoint has none, and its jobs never ask for one. */
  get client(): DicomwebClient {
    if (!this.dicomweb) throw new NoDicomwebError(this.job.pacsEndpointId);
    return this.dicomweb;
  }

  /** Throws the abort reason (JobCancelledError, JobTimeoutError, WorkerShutdownError) once aborted. */
  checkpoint(): void {
    if (this.signal.aborted) throw this.signal.reason;
  }

  /** Runs one stage, adding its wall time (ms) to `timings[stage]` and persisting the stage and timings. */
  async time<T>(stage: JobStage, operation: () => Promise<T> | T): Promise<T> {
    this.checkpoint();
    this.setStage(stage);
    const started = performance.now();
    try {
      return await operation();
    } finally {
      this.addTiming(stage, performance.now() - started);
      await this.flush();
    }
  }

  /** Records the stage a library call is in (segmentVolume reports its own stages through progress). */
  setStage(stage: JobStage): void {
    this.write(() => this.jobs.setStage(this.job.id, stage));
  }

  /** Adds milliseconds measured elsewhere (the segmentation library reports its own stage times). */
  addTiming(stage: JobStage, ms: number): void {
    this.timings[stage] = Math.round(((this.timings[stage] ?? 0) + ms) * 10) / 10;
    const timings = { ...this.timings };
    this.write(() => this.jobs.setTimings(this.job.id, timings));
  }

  /** Records progress; written now when it is the first or the last, or PROGRESS_WRITE_INTERVAL_MS passed; else at the next flush or progress. */
  progress(slicesDone: number, slicesTotal: number): void {
    this.pendingProgress = { done: slicesDone, total: slicesTotal };
    const now = this.now();
    if (slicesDone === 0 || slicesDone >= slicesTotal || now - this.progressWrittenAt >= PROGRESS_WRITE_INTERVAL_MS) this.writeProgress(now);
  }

  /** Waits for the row writes made so far (progress held back included); throws the first that failed (e.g. the database went away). */
  async flush(): Promise<void> {
    if (this.pendingProgress) this.writeProgress(this.now());
    await this.writes;
    if (this.writeError !== undefined) {
      const error = this.writeError;
      this.writeError = undefined;
      throw error;
    }
  }

  private writeProgress(now: number): void {
    const { done, total } = this.pendingProgress!;
    this.pendingProgress = undefined;
    this.progressWrittenAt = now;
    this.write(() => this.jobs.setProgress(this.job.id, done, total));
  }

  private write(operation: () => Promise<void>): void {
    this.writes = this.writes.then(operation).catch((error: unknown) => {
      this.writeError ??= error;
    });
  }
}
