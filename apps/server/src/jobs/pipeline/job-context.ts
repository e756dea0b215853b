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
 * What every pipeline step gets: the job, the PACS client, the model, the abort signal (cancel, timeout,
 * shutdown) and the means to record stage timings and progress in the job's row.
 */
export class JobContext {
  readonly timings: JobTimings = {};

  constructor(
    readonly job: JobRecord,
    private readonly dicomweb: DicomwebClient | undefined,
    readonly model: SegmentationModel,
    readonly signal: AbortSignal,
    readonly retry: DeliveryRetry,
    private readonly jobs: JobRepository,
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
    this.jobs.setStage(this.job.id, stage);
    const started = performance.now();
    try {
      return await operation();
    } finally {
      this.addTiming(stage, performance.now() - started);
    }
  }

  /** Records the stage a library call is in (segmentVolume reports its own stages through progress). */
  setStage(stage: JobStage): void {
    this.jobs.setStage(this.job.id, stage);
  }

  /** Adds milliseconds measured elsewhere (the segmentation library reports its own stage times). */
  addTiming(stage: JobStage, ms: number): void {
    this.timings[stage] = Math.round(((this.timings[stage] ?? 0) + ms) * 10) / 10;
    this.jobs.setTimings(this.job.id, this.timings);
  }

  progress(slicesDone: number, slicesTotal: number): void {
    this.jobs.setProgress(this.job.id, slicesDone, slicesTotal);
  }
}
