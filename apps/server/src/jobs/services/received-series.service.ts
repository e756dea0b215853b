import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ReceivedStoreRepository } from '../../dimse/repositories/received-store.repository';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';
import { SqlDatabase } from '../../core/database/sql-database';
import { JobRepository } from '../repositories/job.repository';
import { JOB_QUEUE, type JobQueue } from '../queue/job-queue';

const TICK_MS = 1_000;

/** Rolls back a job whose series another process queued first (several share the database in scaled mode). */
class SeriesTakenError extends Error {
  override name = 'SeriesTakenError';
}
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * Turns series pushed over DIMSE into jobs, like the study watcher does for polled studies:
 * - stable: a series is queued once no instance of it arrived for DICOM_STABLE_SECONDS;
 * - once: the job row and the series' `queued` mark are one database transaction, so a crash queues it
 *   exactly once (a restart picks up series still `receiving`);
 * - the job's pixels are the received files (job source `dimse`), read by the pipeline from the store,
 *   so a PACS that only pushes (no DICOMweb) works;
 * - the files are deleted once the job has finished (its SEG is in the outbox by then).
 */
@Injectable()
export class ReceivedSeriesService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ReceivedSeries');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: SqlDatabase,
    private readonly store: ReceivedStoreRepository,
    private readonly jobs: JobRepository,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.dicom) return;
    // One tick at a time: a slow database must not stack overlapping ticks that queue a series twice.
    let ticking = false;
    this.timer = setInterval(() => {
      if (ticking) return;
      ticking = true;
      this.tick()
        .catch((error: unknown) => this.logger.error(`Received-series tick failed: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => (ticking = false));
    }, TICK_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Queues stable series and releases finished ones; returns the ids of the jobs queued. */
  async tick(now = Date.now()): Promise<string[]> {
    const stableSeconds = this.config.dicom?.stableSeconds ?? 30;
    const queued: string[] = [];
    for (const series of await this.store.listStable(new Date(now - stableSeconds * 1000).toISOString())) {
      const job = await this.db.transaction(async (tx) => {
        const created = await this.jobs.create(
          {
            pacsEndpointId: series.pacsEndpointId,
            studyInstanceUID: series.studyInstanceUID,
            requestedSeriesInstanceUID: series.seriesInstanceUID,
            force: false,
            source: 'dimse',
          },
          tx,
        );
        // Another process sharing the database queued it first: throwing rolls this job back.
        if (!(await this.store.markQueued(series.pacsEndpointId, series.seriesInstanceUID, created.id, tx))) throw new SeriesTakenError();
        return created;
      }).catch((error: unknown) => {
        if (error instanceof SeriesTakenError) return undefined;
        throw error;
      });
      if (!job) continue;
      queued.push(job.id);
      this.logger.log(`Series ${series.seriesInstanceUID} from ${series.callingAeTitle} is stable (${series.instances} instances): job ${job.id} queued`);
    }
    for (const id of queued) void this.queue.enqueue(id, { priority: 'watcher' }).catch((error: unknown) => this.logger.error(`Job ${id} recorded but not enqueued: ${String(error)}`));
    for (const series of await this.store.listQueued()) {
      const job = series.jobId ? await this.jobs.get(series.jobId) : undefined;
      if (!job || TERMINAL.has(job.status)) await this.store.release(series.pacsEndpointId, series.seriesInstanceUID);
    }
    return queued;
  }
}
