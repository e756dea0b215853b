import { Inject, Injectable } from '@nestjs/common';
import { SqlDatabase, SqlExecutor } from '../../core/database/sql-database';

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
  constructor(@Inject(SqlDatabase) private readonly db: SqlDatabase) {}

  async get(pacsEndpointId: string): Promise<StudyWatcherRecord | undefined> {
    const row = await this.db.one<Row>('SELECT * FROM study_watchers WHERE pacs_endpoint_id = ?', [pacsEndpointId]);
    return row && toRecord(row);
  }

  async listEnabled(): Promise<StudyWatcherRecord[]> {
    return (await this.db.all<Row>('SELECT * FROM study_watchers WHERE enabled = 1')).map(toRecord);
  }

  /** Creates or replaces the settings; a changed filter restarts the baseline but keeps the seen set. */
  async upsert(settings: Pick<StudyWatcherRecord, 'pacsEndpointId' | 'enabled' | 'modalities' | 'bodyPart' | 'pollSeconds' | 'processExisting'>, now: string): Promise<void> {
    await this.db.run(
      `INSERT INTO study_watchers (pacs_endpoint_id, enabled, modalities, body_part, poll_seconds, process_existing, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(pacs_endpoint_id) DO UPDATE SET enabled = excluded.enabled, modalities = excluded.modalities, body_part = excluded.body_part,
         poll_seconds = excluded.poll_seconds, process_existing = excluded.process_existing, updated_at = excluded.updated_at`,
      [settings.pacsEndpointId, settings.enabled, settings.modalities.join('\\'), settings.bodyPart, settings.pollSeconds, settings.processExisting, now],
    );
  }

  async isSeen(pacsEndpointId: string, studyInstanceUID: string): Promise<boolean> {
    return (await this.db.one('SELECT 1 AS one FROM study_watcher_seen WHERE pacs_endpoint_id = ? AND study_instance_uid = ?', [pacsEndpointId, studyInstanceUID])) !== undefined;
  }

  /**
   * Records a study as seen and, inside the same transaction, runs `enqueue` with that transaction (it
   * creates its job in the same database). Either both happen or neither: a crash in between cannot
   * lose a study or queue it twice. Returns the job id, or undefined when the study was already seen.
   */
  async markSeenAndEnqueue(
    pacsEndpointId: string,
    studyInstanceUID: string,
    studyDate: string | null,
    now: string,
    enqueue: ((tx: SqlExecutor) => Promise<string>) | null,
  ): Promise<string | null | undefined> {
    return this.db.transaction(async (tx) => {
      const inserted = await tx.run('INSERT INTO study_watcher_seen (pacs_endpoint_id, study_instance_uid, study_date, seen_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [
        pacsEndpointId,
        studyInstanceUID,
        studyDate,
        now,
      ]);
      if (inserted.changes === 0) return undefined;
      if (!enqueue) return null;
      const jobId = await enqueue(tx);
      await tx.run('UPDATE study_watcher_seen SET job_id = ? WHERE pacs_endpoint_id = ? AND study_instance_uid = ?', [jobId, pacsEndpointId, studyInstanceUID]);
      return jobId;
    });
  }

  /** After a successful poll: the watermark only moves forward. */
  async recordPoll(pacsEndpointId: string, newestStudyDate: string | null, now: string): Promise<void> {
    // CAST: Postgres must know the parameter's type where it is only compared with NULL.
    await this.db.run(
      `UPDATE study_watchers SET last_poll_at = ?, last_error = NULL, baseline_done = 1,
         watermark_study_date = CASE WHEN CAST(? AS TEXT) IS NOT NULL AND (watermark_study_date IS NULL OR ? > watermark_study_date) THEN ? ELSE watermark_study_date END
       WHERE pacs_endpoint_id = ?`,
      [now, newestStudyDate, newestStudyDate, newestStudyDate, pacsEndpointId],
    );
  }

  async recordError(pacsEndpointId: string, message: string, now: string): Promise<void> {
    await this.db.run('UPDATE study_watchers SET last_poll_at = ?, last_error = ? WHERE pacs_endpoint_id = ?', [now, message, pacsEndpointId]);
  }

  async listSeen(pacsEndpointId: string): Promise<Array<{ studyInstanceUID: string; jobId: string | null }>> {
    const rows = await this.db.all<{ study_instance_uid: string; job_id: string | null }>(
      'SELECT study_instance_uid, job_id FROM study_watcher_seen WHERE pacs_endpoint_id = ? ORDER BY seen_at',
      [pacsEndpointId],
    );
    return rows.map((r) => ({ studyInstanceUID: r.study_instance_uid, jobId: r.job_id }));
  }
}
