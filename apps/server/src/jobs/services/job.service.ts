import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { CreateJobDto, JobCreatedDto, JobDto, JobResultDto } from '../dtos/job.dto';
import { JobRecord, JobRepository } from '../repositories/job.repository';
import { JOB_QUEUE, type JobQueue } from '../queue/job-queue';
import { PacsEndpointService } from '../../pacs/services/pacs-endpoint.service';
import type { SqlExecutor } from '../../core/database/sql-database';

const DEFAULT_LIST_LIMIT = 50;

/** Segmentation job rules: a job names an existing PACS endpoint; cancelling a finished job changes nothing. */
@Injectable()
export class JobService {
  constructor(
    private readonly jobs: JobRepository,
    private readonly endpoints: PacsEndpointService,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  /** Records the job and hands it to the queue. */
  async create(dto: CreateJobDto): Promise<JobCreatedDto> {
    const job = await this.record(dto);
    await this.queue.enqueue(job.id);
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

  /** Hands a recorded job to the queue. */
  async enqueue(jobId: string): Promise<void> {
    await this.queue.enqueue(jobId);
  }

  async get(id: string): Promise<JobDto> {
    return toDto(await this.getRecordOrFail(id));
  }

  async list(limit = DEFAULT_LIST_LIMIT): Promise<JobDto[]> {
    return (await this.jobs.list(limit)).map(toDto);
  }

  /** Queued: cancelled at once. Running: flagged and aborted at the next checkpoint. Finished: unchanged. */
  async cancel(id: string): Promise<JobDto> {
    const status = await this.jobs.requestCancel(id);
    if (status === undefined) throw new NotFoundException(`Job ${id} does not exist`);
    if (status === 'running') await this.queue.cancel(id);
    return this.get(id);
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
