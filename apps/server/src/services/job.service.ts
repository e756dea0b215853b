import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { CreateJobDto, JobCreatedDto, JobDto, JobResultDto } from '../dtos/job.dto';
import { JobRecord, JobRepository } from '../repositories/job.repository';
import { JobWorker } from '../jobs/job-worker';
import type { SqlExecutor } from '../database/sql-database';
import { PacsEndpointService } from './pacs-endpoint.service';

const DEFAULT_LIST_LIMIT = 50;

/** Segmentation job rules: a job names an existing PACS endpoint; cancelling a finished job changes nothing. */
@Injectable()
export class JobService {
  constructor(
    private readonly jobs: JobRepository,
    private readonly endpoints: PacsEndpointService,
    private readonly worker: JobWorker,
  ) {}

  /** @param tx a transaction to create the job in (the study watcher's "seen" row commits with it). */
  async create(dto: CreateJobDto, tx?: SqlExecutor): Promise<JobCreatedDto> {
    const endpoint = await this.endpoints.requireEnabledRecord(dto.pacsEndpointId, tx);
    if (endpoint.baseUrl === null) {
      throw new ConflictException(`PACS endpoint ${endpoint.id} has no DICOMweb base URL: its series are segmented when it pushes them to our DICOM port`);
    }
    const job = await this.jobs.create({
      pacsEndpointId: dto.pacsEndpointId,
      studyInstanceUID: dto.studyInstanceUID,
      requestedSeriesInstanceUID: dto.seriesInstanceUID,
      force: dto.force ?? false,
    }, tx);
    // Inside a caller's transaction the job is not visible to a claim until it commits: the worker's
    // next poll (JOB_POLL_MS) finds it.
    if (!tx) void this.worker.wake();
    return { id: job.id, status: job.status };
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
    if (status === 'running') this.worker.cancel(id);
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
