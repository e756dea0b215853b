import { ConflictException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { CreateJobDto, JobCreatedDto, JobDto, JobQueueDto, JobResultDto } from '../dtos/job.dto';
import { JobRecord, JobRepository } from '../repositories/job.repository';
import { JOB_QUEUE, type JobPriority, type JobQueue } from '../queue/job-queue';
import { PacsEndpointService } from '../../pacs/services/pacs-endpoint.service';
import type { SqlExecutor } from '../../core/database/sql-database';

const DEFAULT_LIST_LIMIT = 50;

/** Segmentation job rules: a job names an existing PACS endpoint; cancelling a finished job changes nothing. */
@Injectable()
export class JobService {
  private readonly logger = new Logger(JobService.name);

  constructor(
    private readonly jobs: JobRepository,
    private readonly endpoints: PacsEndpointService,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  /** Records the job and hands it to the queue, ahead of the watcher's backlog (a user asked for it). */
  async create(dto: CreateJobDto): Promise<JobCreatedDto> {
    const job = await this.record(dto);
    await this.enqueue(job.id, 'user');
    return { id: job.id, status: job.status };
  }

  /**
   * Only records the job (status `queued`), for callers that must write it in one transaction with their
   * own state (the study watcher); they call {@link enqueue} once that transaction is committed.
   * @param tx the caller's transaction: the endpoint check and the job row go through it.
   */
  async record(dto: CreateJobDto, tx?: SqlExecutor): Promise<JobRecord> {
    const endpoint = await this.endpoints.requireEnabledRecord(dto.pacsEndpointId, tx);
    if (endpoint.baseUrl === null) {
      throw new ConflictException(`PACS endpoint ${endpoint.id} has no DICOMweb base URL: its series are segmented when it pushes them to our DICOM port`);
    }
    return this.jobs.create(
      {
        pacsEndpointId: dto.pacsEndpointId,
        studyInstanceUID: dto.studyInstanceUID,
        requestedSeriesInstanceUID: dto.seriesInstanceUID,
        force: dto.force ?? false,
      },
      tx,
    );
  }

  /**
   * Hands a recorded job to the queue. The job is stored: if the queue cannot take it now (Redis away),
   * this logs and returns, and the scaled mode's reconciler hands it over once Redis answers.
   */
  async enqueue(jobId: string, priority: JobPriority = 'user'): Promise<void> {
    try {
      await this.queue.enqueue(jobId, { priority });
    } catch (error) {
      this.logger.warn(`Job ${jobId} stored but not queued yet: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** The job with its queue position and ETA (see {@link queueOf}). */
  async get(id: string): Promise<JobDto> {
    const job = await this.getRecordOrFail(id);
    return { ...toDto(job), queue: await this.queueOf(job) };
  }

  /**
   * Position and ETA. The ETA counts the slices still to run ahead of and in this job (a job not yet
   * retrieved counts as the recent average), at the recent seconds per slice, spread over the workers.
   * A queue that cannot answer (Redis away) gives a null position rather than failing the request.
   */
  private async queueOf(job: JobRecord): Promise<JobQueueDto> {
    let position: number | undefined;
    let workers = 1;
    try {
      [position, workers] = await Promise.all([job.status === 'queued' ? this.queue.position(job.id) : undefined, this.queue.workerCount()]);
    } catch (error) {
      this.logger.warn(`Queue position of job ${job.id} unavailable: ${error instanceof Error ? error.message : String(error)}`);
    }
    const rate = job.status === 'queued' || job.status === 'running' ? await this.jobs.recentSecondsPerSlice() : undefined;
    let etaSeconds: number | null = null;
    if (rate) {
      const own = job.slicesTotal > 0 ? job.slicesTotal - job.slicesDone : rate.slicesPerJob;
      const ahead = (position ?? 0) * rate.slicesPerJob;
      etaSeconds = Math.round((ahead / Math.max(1, workers) + own) * rate.secondsPerSlice);
    }
    return { position: position ?? null, etaSeconds, workers };
  }

  async list(limit = DEFAULT_LIST_LIMIT): Promise<JobDto[]> {
    return (await this.jobs.list(limit)).map(toDto);
  }

  /** Queued: cancelled at once. Running: flagged and aborted at the next checkpoint. Finished: unchanged. */
  async cancel(id: string): Promise<JobDto> {
    const status = await this.jobs.requestCancel(id);
    if (status === undefined) throw new NotFoundException(`Job ${id} does not exist`);
    // In-process worker: aborted now. A queue worker in another process sees the flag within a second.
    if (status === 'running') await this.queue.cancel(id);
    return toDto(await this.getRecordOrFail(id));
  }

  private async getRecordOrFail(id: string): Promise<JobRecord> {
    const job = await this.jobs.get(id);
    if (!job) throw new NotFoundException(`Job ${id} does not exist`);
    return job;
  }
}

function toDto(job: JobRecord): JobDto {
  return {
    id: job.id,
    status: job.status,
    pacsEndpointId: job.pacsEndpointId,
    source: job.source,
    studyInstanceUID: job.studyInstanceUID,
    seriesInstanceUID: job.seriesInstanceUID,
    requestedSeriesInstanceUID: job.requestedSeriesInstanceUID,
    force: job.force,
    stage: job.stage,
    progress: { slicesDone: job.slicesDone, slicesTotal: job.slicesTotal },
    timings: job.timings as Record<string, number>,
    attempts: job.attempts,
    cancelRequested: job.cancelRequested,
    seriesSelection: job.seriesSelection,
    result: job.result as JobResultDto | null,
    error: job.errorCode ? { code: job.errorCode, message: job.errorMessage ?? '' } : null,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
  };
}
