import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ReceivedStoreRepository } from '../../dimse/repositories/received-store.repository';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';
import { DatabaseRepository } from '../../core/repositories/database.repository';
import { JobRepository } from '../repositories/job.repository';
import { JOB_QUEUE, type JobQueue } from '../queue/job-queue';

const TICK_MS = 1_000;
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * Turns series pushed over DIMSE into jobs, like the study watcher does for polled studies:
 * - stable: a series is queued once no instance of it arrived for DICOM_STABLE_SECONDS;
 * - once: the job row and the series' `queued` mark are one SQLite transaction, so a crash queues it
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
    private readonly database: DatabaseRepository,
    private readonly store: ReceivedStoreRepository,
    private readonly jobs: JobRepository,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.dicom) return;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Queues stable series and releases finished ones; returns the ids of the jobs queued. */
  tick(now = Date.now()): string[] {
    const stableSeconds = this.config.dicom?.stableSeconds ?? 30;
    const queued: string[] = [];
    for (const series of this.store.listStable(new Date(now - stableSeconds * 1000).toISOString())) {
      const job = this.database.db.transaction(() => {
        const created = this.jobs.create({
          pacsEndpointId: series.pacsEndpointId,
          studyInstanceUID: series.studyInstanceUID,
          requestedSeriesInstanceUID: series.seriesInstanceUID,
          force: false,
          source: 'dimse',
        });
        this.store.markQueued(series.pacsEndpointId, series.seriesInstanceUID, created.id);
        return created;
      })();
      queued.push(job.id);
      this.logger.log(`Series ${series.seriesInstanceUID} from ${series.callingAeTitle} is stable (${series.instances} instances): job ${job.id} queued`);
    }
    for (const id of queued) void this.queue.enqueue(id).catch((error: unknown) => this.logger.error(`Job ${id} recorded but not enqueued: ${String(error)}`));
    for (const series of this.store.listQueued()) {
      const job = series.jobId ? this.jobs.get(series.jobId) : undefined;
      if (!job || TERMINAL.has(job.status)) this.store.release(series.pacsEndpointId, series.seriesInstanceUID);
    }
    return queued;
  }
}
