import { Inject, Injectable } from '@nestjs/common';
import { DatabaseRepository } from '../../core/repositories/database.repository';

export interface StudyWatcherRecord {
  pacsEndpointId: string;
  enabled: boolean;
  /** ModalitiesInStudy filter values, e.g. `['CT']`. */
  modalities: string[];
  /** Series-level BodyPartExamined a study must have at least one series of; null: any. */
  bodyPart: string | null;
  pollSeconds: number;
  /** When false, the first poll only records what the PACS already holds (no jobs for old studies). */
  processExisting: boolean;
  /** Newest StudyDate (YYYYMMDD) seen; the next QIDO asks for `StudyDate=<watermark>-`. */
  watermarkStudyDate: string | null;
  baselineDone: boolean;
  lastPollAt: string | null;
  lastError: string | null;
  updatedAt: string;
}

interface Row {
  pacs_endpoint_id: string;
  enabled: number;
  modalities: string;
  body_part: string | null;
  poll_seconds: number;
  process_existing: number;
  watermark_study_date: string | null;
  baseline_done: number;
  last_poll_at: string | null;
  last_error: string | null;
  updated_at: string;
}

const toRecord = (r: Row): StudyWatcherRecord => ({
  pacsEndpointId: r.pacs_endpoint_id,
  enabled: r.enabled === 1,
  modalities: r.modalities.split('\\').filter(Boolean),
  bodyPart: r.body_part,
  pollSeconds: r.poll_seconds,
  processExisting: r.process_existing === 1,
  watermarkStudyDate: r.watermark_study_date,
  baselineDone: r.baseline_done === 1,
  lastPollAt: r.last_poll_at,
  lastError: r.last_error,
  updatedAt: r.updated_at,
});

/** Watcher settings, watermark and seen-UID set per PACS endpoint (tables in trust.migration.ts). */
@Injectable()
export class StudyWatcherRepository {
  private readonly db: DatabaseRepository['db'];

  constructor(@Inject(DatabaseRepository) database: DatabaseRepository) {
    this.db = database.db;
  }

  get(pacsEndpointId: string): StudyWatcherRecord | undefined {
    const row = this.db.prepare('SELECT * FROM study_watchers WHERE pacs_endpoint_id = ?').get(pacsEndpointId) as Row | undefined;
    return row && toRecord(row);
  }

  listEnabled(): StudyWatcherRecord[] {
    return (this.db.prepare('SELECT * FROM study_watchers WHERE enabled = 1').all() as Row[]).map(toRecord);
  }

  /** Creates or replaces the settings; a changed filter restarts the baseline but keeps the seen set. */
  upsert(settings: Pick<StudyWatcherRecord, 'pacsEndpointId' | 'enabled' | 'modalities' | 'bodyPart' | 'pollSeconds' | 'processExisting'>, now: string): void {
    this.db
      .prepare(
        `INSERT INTO study_watchers (pacs_endpoint_id, enabled, modalities, body_part, poll_seconds, process_existing, updated_at)
         VALUES (@id, @enabled, @modalities, @bodyPart, @pollSeconds, @processExisting, @now)
         ON CONFLICT(pacs_endpoint_id) DO UPDATE SET enabled = @enabled, modalities = @modalities, body_part = @bodyPart,
           poll_seconds = @pollSeconds, process_existing = @processExisting, updated_at = @now`,
      )
      .run({
        id: settings.pacsEndpointId,
        enabled: settings.enabled ? 1 : 0,
        modalities: settings.modalities.join('\\'),
        bodyPart: settings.bodyPart,
        pollSeconds: settings.pollSeconds,
        processExisting: settings.processExisting ? 1 : 0,
        now,
      });
  }

  isSeen(pacsEndpointId: string, studyInstanceUID: string): boolean {
    return this.db.prepare('SELECT 1 FROM study_watcher_seen WHERE pacs_endpoint_id = ? AND study_instance_uid = ?').get(pacsEndpointId, studyInstanceUID) !== undefined;
  }

  /**
   * Records a study as seen and, inside the same SQLite transaction, runs `enqueue` (which creates its
   * job in the same database). Either both happen or neither: a crash in between cannot lose a study
   * or queue it twice. Returns the job id, or undefined when the study was already seen.
   */
  markSeenAndEnqueue(pacsEndpointId: string, studyInstanceUID: string, studyDate: string | null, now: string, enqueue: (() => string) | null): string | null | undefined {
    return this.db.transaction(() => {
      const inserted = this.db
        .prepare('INSERT INTO study_watcher_seen (pacs_endpoint_id, study_instance_uid, study_date, seen_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
        .run(pacsEndpointId, studyInstanceUID, studyDate, now).changes;
      if (inserted === 0) return undefined;
      if (!enqueue) return null;
      const jobId = enqueue();
      this.db.prepare('UPDATE study_watcher_seen SET job_id = ? WHERE pacs_endpoint_id = ? AND study_instance_uid = ?').run(jobId, pacsEndpointId, studyInstanceUID);
      return jobId;
    })();
  }

  /** After a successful poll: the watermark only moves forward. */
  recordPoll(pacsEndpointId: string, newestStudyDate: string | null, now: string): void {
    this.db
      .prepare(
        `UPDATE study_watchers SET last_poll_at = ?, last_error = NULL, baseline_done = 1,
           watermark_study_date = CASE WHEN ? IS NOT NULL AND (watermark_study_date IS NULL OR ? > watermark_study_date) THEN ? ELSE watermark_study_date END
         WHERE pacs_endpoint_id = ?`,
      )
      .run(now, newestStudyDate, newestStudyDate, newestStudyDate, pacsEndpointId);
  }

  recordError(pacsEndpointId: string, message: string, now: string): void {
    this.db.prepare('UPDATE study_watchers SET last_poll_at = ?, last_error = ? WHERE pacs_endpoint_id = ?').run(now, message, pacsEndpointId);
  }

  listSeen(pacsEndpointId: string): Array<{ studyInstanceUID: string; jobId: string | null }> {
    return (
      this.db.prepare('SELECT study_instance_uid, job_id FROM study_watcher_seen WHERE pacs_endpoint_id = ? ORDER BY seen_at').all(pacsEndpointId) as Array<{
        study_instance_uid: string;
        job_id: string | null;
      }>
    ).map((r) => ({ studyInstanceUID: r.study_instance_uid, jobId: r.job_id }));
  }
}
