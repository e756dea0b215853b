import { Inject, Injectable, Logger } from '@nestjs/common';
import { ListOutboxQueryDto, OutboxEntryDto } from '../dtos/outbox.dto';
import { OutboxEntryNotFoundError, OutboxRedeliveryRefusedError } from '../outbox.errors';
import { JOB_QUEUE, type JobQueue } from '../queue/job-queue';
import { JobRepository } from '../repositories/job.repository';
import { OutboxEntry, OutboxRepository } from '../repositories/outbox.repository';

const toDto = (entry: OutboxEntry): OutboxEntryDto => ({
  id: entry.id,
  jobId: entry.jobId,
  pacsEndpointId: entry.pacsEndpointId,
  studyInstanceUID: entry.studyInstanceUID,
  sourceSeriesInstanceUID: entry.sourceSeriesInstanceUID,
  segSeriesInstanceUID: entry.segSeriesInstanceUID,
  segSopInstanceUID: entry.segSopInstanceUID,
  srSopInstanceUID: entry.srSopInstanceUID,
  status: entry.status,
  attempts: entry.attempts,
  lastError: entry.lastError,
  nextAttemptAt: entry.nextAttemptAt,
  failedAt: entry.failedAt,
  deliveredAt: entry.deliveredAt,
  createdAt: entry.createdAt,
  byteLength: entry.byteLength,
  payloadAvailable: entry.payloadDeletedAt === null,
});

/**
 * The admin's view of the result outbox and the way out of `failed`: re-delivery puts the entry back to
 * pending with a fresh OUTBOX_MAX_ATTEMPTS and requeues its job, whose pipeline delivers the stored
 * bytes (nothing is rebuilt, the SOP Instance UIDs stay the same, so a PACS that did store an earlier
 * try is overwritten, not doubled: PS3.4 B.4.1). If that delivery fails too, the sweeper retries it with
 * backoff as for any pending entry.
 */
@Injectable()
export class OutboxService {
  private readonly logger = new Logger(OutboxService.name);

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly jobs: JobRepository,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  async list(query: ListOutboxQueryDto): Promise<OutboxEntryDto[]> {
    return (await this.outbox.list(query.status, query.limit ?? 100)).map(toDto);
  }

  async redeliver(id: string): Promise<OutboxEntryDto> {
    const entry = await this.outbox.get(id);
    if (!entry) throw new OutboxEntryNotFoundError(`Outbox entry ${id} does not exist`);
    if (entry.status !== 'failed') throw new OutboxRedeliveryRefusedError(`Outbox entry ${id} is ${entry.status}: only a failed entry is re-delivered`);
    if (entry.payloadDeletedAt !== null) {
      throw new OutboxRedeliveryRefusedError(`Outbox entry ${id}: its payload was deleted at ${entry.payloadDeletedAt} (OUTBOX_KEEP_FAILED_HOURS); start a new job for series ${entry.sourceSeriesInstanceUID}`);
    }
    // Compare-and-set on status: of two admins clicking at once, one re-delivers, the other gets 409.
    if (!(await this.outbox.resetForRedelivery(id))) throw new OutboxRedeliveryRefusedError(`Outbox entry ${id} changed meanwhile; reload it`);
    if (await this.jobs.requeueFailed(entry.jobId)) await this.queue.enqueue(entry.jobId, { priority: 'user' });
    this.logger.log(`Outbox ${id}: re-delivery of SOP Instance ${entry.segSopInstanceUID} requested (job ${entry.jobId} requeued)`);
    return toDto((await this.outbox.get(id))!);
  }
}
