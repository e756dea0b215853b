import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { SqlExecutor } from '../../core/database/sql-database';
import { type DicomJsonDataset, getJsonNumber, getJsonString } from '@covseg/dicom';
import { PacsGateway } from '../../pacs/repositories/pacs.gateway';
import { JobService } from '../../jobs/services/job.service';
import { PacsEndpointService } from '../../pacs/services/pacs-endpoint.service';
import { StudyWatcherRecord, StudyWatcherRepository } from '../repositories/study-watcher.repository';
import { AuditService } from '../../audit/services/audit.service';
import { MetricsService } from '../../metrics/services/metrics.service';
import { SqlDatabase } from '../../core/database/sql-database';
import { LeaderLease } from '../../core/services/leader-lease';
import { QUEUE_CONFIG, QueueConfig, runsApi } from '../../core/config/queue.config';

const TICK_MS = 500;
const PAGE = 200;
const MAX_PAGES = 50;
/** How often a follower tries to take the watcher's lead, and the leader checks it still holds it. */
const LEADER_CHECK_MS = 2_000;

export interface PollSummary {
  pacsEndpointId: string;
  /** Studies matching the filter in this poll (at or after the watermark). */
  matched: number;
  /** Jobs queued by this poll. */
  queued: string[];
  /** New studies whose instance count still changed since the last poll; queued once stable. */
  settling: number;
}

/**
 * Opt-in automatic processing: polls each enabled endpoint's QIDO-RS for studies matching the filter,
 * and queues one job per new study, once, even across restarts.
 *
 * Why each rule:
 * - Watermark: QIDO asks for `StudyDate=<newest seen>-` (inclusive, PS3.4 C.2.2.2.5 range matching),
 *   so a poll does not list the whole archive. Ties on the watermark date and studies pushed late with
 *   that same date are caught by the persisted seen-UID set, not by StudyTime (which PACSs fill
 *   inconsistently). Limit: a study whose StudyDate is older than the watermark (a prior arriving
 *   late) is not found by polling; the Orthanc notification (notifyStudy) catches those.
 * - Stability: a study is queued only when its NumberOfStudyRelatedInstances is unchanged between two
 *   polls, so a series still arriving over C-STORE/STOW is not segmented half-received.
 * - Exactly once: the seen row and the job row are written in one database transaction.
 * - One poller per deployment: only API processes (ROLE=api|all) run the watcher, and of those only the
 *   one holding the `study-watcher` lock (LeaderLease: a Postgres advisory lock, freed when its holder
 *   dies, so another API process takes over within LEADER_CHECK_MS). Embedded mode: the one process
 *   always leads. A notification or an admin's "poll now" is served by whichever process receives it.
 */
@Injectable()
export class StudyWatcherService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StudyWatcherService.name);
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Map<string, Promise<PollSummary>>();
  private readonly lastPolled = new Map<string, number>();
  /** endpoint/study → instance count at the previous poll (in memory: a restart costs one extra poll). */
  private readonly pendingCounts = new Map<string, number>();
  private lease: LeaderLease | undefined;

  constructor(
    @Inject(StudyWatcherRepository) private readonly watchers: StudyWatcherRepository,
    @Inject(PacsEndpointService) private readonly endpoints: PacsEndpointService,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(MetricsService) private readonly metrics: MetricsService,
    @Inject(PacsGateway) private readonly gateway: PacsGateway,
    @Inject(JobService) private readonly jobService: JobService,
    @Inject(SqlDatabase) private readonly database: SqlDatabase,
    @Inject(QUEUE_CONFIG) private readonly queueConfig: QueueConfig,
  ) {}

  onApplicationBootstrap(): void {
    // A worker process serves no API and polls no PACS for new studies.
    if (!runsApi(this.queueConfig)) return;
    this.lease = new LeaderLease(this.database, 'study-watcher', LEADER_CHECK_MS, (leading) => {
      this.metrics.watcherLeader.set(leading ? 1 : 0);
      // A new leader starts from the persisted watermark and seen set; its in-memory stability counts
      // are its own (a study seen once more before it is queued).
      if (leading) this.lastPolled.clear();
    });
    this.lease.start();
    this.timer = setInterval(() => {
      this.tick().catch((error: unknown) => this.logger.warn(`Listing the enabled study watchers failed: ${error instanceof Error ? error.message : String(error)}`));
    }, TICK_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await Promise.allSettled([...this.inFlight.values()]);
    // Hand the lead over now rather than when the connection times out.
    await this.lease?.stop();
  }

  /** True while this process runs the periodic polls (see the class comment). */
  isLeader(): boolean {
    return this.lease?.isLeader() ?? false;
  }

  /** Polls one endpoint now (or joins the poll already running for it). */
  pollNow(pacsEndpointId: string): Promise<PollSummary> {
    const running = this.inFlight.get(pacsEndpointId);
    if (running) return running;
    const poll = this.poll(pacsEndpointId).finally(() => {
      this.inFlight.delete(pacsEndpointId);
      this.lastPolled.set(pacsEndpointId, Date.now());
    });
    this.inFlight.set(pacsEndpointId, poll);
    return poll;
  }

  private async tick(): Promise<void> {
    if (!this.lease?.isLeader()) return;
    for (const watcher of await this.watchers.listEnabled()) {
      const last = this.lastPolled.get(watcher.pacsEndpointId) ?? 0;
      if (Date.now() - last >= watcher.pollSeconds * 1000 && !this.inFlight.has(watcher.pacsEndpointId)) {
        // Failures are recorded on the watcher row and in metrics by poll(); nothing to rethrow here.
        this.pollNow(watcher.pacsEndpointId).catch(() => undefined);
      }
    }
  }

  private async poll(pacsEndpointId: string): Promise<PollSummary> {
    const watcher = await this.watchers.get(pacsEndpointId);
    const summary: PollSummary = { pacsEndpointId, matched: 0, queued: [], settling: 0 };
    if (!watcher || !watcher.enabled) return summary;
    // A disabled PACS endpoint takes no new jobs (PacsEndpointService.requireEnabledRecord): do not poll it.
    if ((await this.endpoints.getRecordOrFail(pacsEndpointId)).disabledAt !== null) return summary;
    this.metrics.watcherPolls.inc({ endpoint: pacsEndpointId });
    try {
      const studies = await this.search(watcher);
      summary.matched = studies.length;
      let newest: string | null = null;
      let holdBack: string | null = null;
      for (const study of studies) {
        const uid = getJsonString(study, 'StudyInstanceUID');
        if (!uid) continue;
        const date = getJsonString(study, 'StudyDate') ?? null;
        if (date && /^\d{8}$/.test(date) && (newest === null || date > newest)) newest = date;
        if (await this.watchers.isSeen(pacsEndpointId, uid)) continue;
        if (!watcher.baselineDone && !watcher.processExisting) {
          await this.watchers.markSeenAndEnqueue(pacsEndpointId, uid, date, new Date().toISOString(), null);
          continue;
        }
        if (!this.isStable(pacsEndpointId, uid, getJsonNumber(study, 'NumberOfStudyRelatedInstances'))) {
          summary.settling += 1;
          // Never move the watermark past a study not yet queued, or the next QIDO would skip it.
          if (date && (holdBack === null || date < holdBack)) holdBack = date;
          continue;
        }
        if (watcher.bodyPart && !(await this.hasBodyPart(watcher, uid))) continue;
        await this.queueOnce(pacsEndpointId, uid, date, summary);
      }
      const watermark = holdBack !== null && newest !== null && holdBack < newest ? holdBack : newest;
      await this.watchers.recordPoll(pacsEndpointId, watermark, new Date().toISOString());
      return summary;
    } catch (error) {
      await this.recordFailure(pacsEndpointId, error);
      throw error;
    }
  }

  private async recordFailure(pacsEndpointId: string, error: unknown): Promise<void> {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    // The failure may be the database itself: recording it must not hide the original error.
    await this.watchers.recordError(pacsEndpointId, message, new Date().toISOString()).catch(() => undefined);
    this.metrics.pacsError(pacsEndpointId, 'watcher-poll');
    this.logger.warn(`Looking for new studies on PACS endpoint ${pacsEndpointId} failed: ${message}`);
  }

  /**
   * A PACS told us a study is complete (Orthanc `OnStableStudy`): look that one study up, whatever its
   * date (so priors older than the watermark are caught too), apply the filter and queue it once.
   * No stability wait: the PACS already waited for the study to be stable.
   */
  async notifyStudy(pacsEndpointId: string, studyInstanceUID: string): Promise<PollSummary> {
    const watcher = await this.watchers.get(pacsEndpointId);
    const summary: PollSummary = { pacsEndpointId, matched: 0, queued: [], settling: 0 };
    if (!watcher || !watcher.enabled) return summary;
    try {
      return await this.checkNotifiedStudy(watcher, studyInstanceUID, summary);
    } catch (error) {
      await this.recordFailure(pacsEndpointId, error);
      throw error;
    }
  }

  private async checkNotifiedStudy(watcher: StudyWatcherRecord, studyInstanceUID: string, summary: PollSummary): Promise<PollSummary> {
    const pacsEndpointId = watcher.pacsEndpointId;
    const client = await this.client(watcher);
    const found = (await Promise.all(watcher.modalities.map((m) => client.searchStudies({ StudyInstanceUID: studyInstanceUID, ModalitiesInStudy: m, includefield: ['StudyDate'] })))).flat();
    const study = found.find((s) => getJsonString(s, 'StudyInstanceUID') === studyInstanceUID);
    if (!study) return summary;
    summary.matched = 1;
    if (watcher.bodyPart && !(await this.hasBodyPart(watcher, studyInstanceUID))) return summary;
    await this.queueOnce(pacsEndpointId, studyInstanceUID, getJsonString(study, 'StudyDate') ?? null, summary);
    return summary;
  }

  private async queueOnce(pacsEndpointId: string, uid: string, date: string | null, summary: PollSummary): Promise<void> {
    const jobId = await this.watchers.markSeenAndEnqueue(pacsEndpointId, uid, date, new Date().toISOString(), (tx) => this.recordJob(pacsEndpointId, uid, tx));
    if (!jobId) return;
    // The row is committed as `queued`: a failed hand-over is picked up by the queue's own recovery (the embedded worker polls).
    void this.jobService.enqueue(jobId, 'watcher').catch((error: unknown) => this.logger.error(`Job ${jobId} recorded but not enqueued: ${String(error)}`));
    summary.queued.push(jobId);
    this.metrics.watcherStudies.inc({ endpoint: pacsEndpointId });
    await this.audit.record('system:watcher', 'watcher.enqueue', `study:${uid}`, { pacsEndpointId, jobId });
    this.logger.log(`Queued job ${jobId} for new study ${uid} on PACS endpoint ${pacsEndpointId}`);
  }

  private isStable(pacsEndpointId: string, uid: string, count: number | undefined): boolean {
    const key = `${pacsEndpointId}/${uid}`;
    const previous = this.pendingCounts.get(key);
    this.pendingCounts.set(key, count ?? -1);
    if (previous === undefined || previous !== (count ?? -1)) return false;
    this.pendingCounts.delete(key);
    return true;
  }

  private async client(watcher: StudyWatcherRecord) {
    const endpoint = await this.endpoints.getRecordOrFail(watcher.pacsEndpointId);
    return this.gateway.client(endpoint, 'watcher');
  }

  /** Every study matching the modality filter from the watermark on, all pages, deduplicated. */
  private async search(watcher: StudyWatcherRecord): Promise<DicomJsonDataset[]> {
    const client = await this.client(watcher);
    const byUid = new Map<string, DicomJsonDataset>();
    for (const modality of watcher.modalities) {
      for (let page = 0; page < MAX_PAGES; page += 1) {
        const found = await client.searchStudies({
          ModalitiesInStudy: modality,
          StudyDate: watcher.watermarkStudyDate ? `${watcher.watermarkStudyDate}-` : undefined,
          includefield: ['StudyDate', 'NumberOfStudyRelatedInstances'],
          limit: PAGE,
          offset: page * PAGE,
        });
        for (const study of found) byUid.set(getJsonString(study, 'StudyInstanceUID') ?? '', study);
        if (found.length < PAGE) break;
      }
    }
    byUid.delete('');
    return [...byUid.values()];
  }

  private async hasBodyPart(watcher: StudyWatcherRecord, studyInstanceUID: string): Promise<boolean> {
    const series = await (await this.client(watcher)).searchSeries(studyInstanceUID, { includefield: ['BodyPartExamined', 'Modality'] });
    const wanted = watcher.bodyPart!.toUpperCase();
    return series.some((s) => watcher.modalities.includes(getJsonString(s, 'Modality') ?? '') && (getJsonString(s, 'BodyPartExamined') ?? '').toUpperCase() === wanted);
  }

  /** Records the job inside the watcher's transaction `tx` (seen mark + job row); it is enqueued after the commit. */
  private async recordJob(pacsEndpointId: string, studyInstanceUID: string, tx: SqlExecutor): Promise<string> {
    return (await this.jobService.record({ pacsEndpointId, studyInstanceUID }, tx)).id;
  }
}
