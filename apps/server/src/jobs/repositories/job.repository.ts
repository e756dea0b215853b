import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { SqlDatabase, SqlExecutor } from '../../core/database/sql-database';

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type JobStage =
  | 'qido'
  | 'retrieve'
  | 'decode'
  | 'preprocess'
  | 'infer'
  | 'postprocess'
  | 'segEncode'
  | 'stow';

/** Wall time per stage in ms; a stage appears once it has run. */
export type JobTimings = Partial<Record<JobStage, number>>;

/** Where a job's pixels come from: QIDO/WADO-RS of its endpoint, or instances the endpoint pushed to our C-STORE SCP. */
export type JobSource = 'dicomweb' | 'dimse';

/** A segmentation job as stored. JSON columns are parsed; `result` and `seriesSelection` are opaque here. */
export interface JobRecord {
  id: string;
  pacsEndpointId: string;
  source: JobSource;
  studyInstanceUID: string;
  requestedSeriesInstanceUID: string | null;
  seriesInstanceUID: string | null;
  force: boolean;
  status: JobStatus;
  stage: JobStage | null;
  slicesDone: number;
  slicesTotal: number;
  attempts: number;
  cancelRequested: boolean;
  modelName: string | null;
  modelVersion: string | null;
  seriesSelection: unknown;
  timings: JobTimings;
  result: unknown;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface Row {
  id: string;
  pacs_endpoint_id: string;
  source: JobSource;
  study_instance_uid: string;
  requested_series_instance_uid: string | null;
  series_instance_uid: string | null;
  force: number;
  status: JobStatus;
  stage: JobStage | null;
  slices_done: number;
  slices_total: number;
  attempts: number;
  cancel_requested: number;
  model_name: string | null;
  model_version: string | null;
  series_selection: string | null;
  timings: string;
  result: string | null;
  error_code: string | null;
  error_message: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const toRecord = (row: Row): JobRecord => ({
  id: row.id,
  pacsEndpointId: row.pacs_endpoint_id,
  source: row.source,
  studyInstanceUID: row.study_instance_uid,
  requestedSeriesInstanceUID: row.requested_series_instance_uid,
  seriesInstanceUID: row.series_instance_uid,
  force: row.force === 1,
  status: row.status,
  stage: row.stage,
  slicesDone: row.slices_done,
  slicesTotal: row.slices_total,
  attempts: row.attempts,
  cancelRequested: row.cancel_requested === 1,
  modelName: row.model_name,
  modelVersion: row.model_version,
  seriesSelection: row.series_selection === null ? null : JSON.parse(row.series_selection),
  timings: JSON.parse(row.timings) as JobTimings,
  result: row.result === null ? null : JSON.parse(row.result),
  errorCode: row.error_code,
  errorMessage: row.error_message,
  createdAt: row.created_at,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
});

const now = () => new Date().toISOString();

/**
 * The durable job queue, over the database port (SQLite or PostgreSQL). Every state change is one
 * statement (autocommit; SQLite synchronous=FULL, Postgres fsync), so a crash at any point leaves a
 * consistent row that the next boot can resume.
 */
@Injectable()
export class JobRepository {
  constructor(private readonly db: SqlDatabase) {}

  /** @param tx the transaction to create the job in (the study watcher records "seen" in the same one). */
  async create(
    input: { pacsEndpointId: string; studyInstanceUID: string; requestedSeriesInstanceUID?: string; force: boolean; source?: JobSource },
    tx: SqlExecutor = this.db,
  ): Promise<JobRecord> {
    const id = randomUUID();
    const row = await tx.one<Row>(
      `INSERT INTO jobs (id, pacs_endpoint_id, source, study_instance_uid, requested_series_instance_uid, series_instance_uid, force, status, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?) RETURNING *`,
      [id, input.pacsEndpointId, input.source ?? 'dicomweb', input.studyInstanceUID, input.requestedSeriesInstanceUID ?? null, input.requestedSeriesInstanceUID ?? null, input.force, now()],
    );
    return toRecord(row!);
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const row = await this.db.one<Row>('SELECT * FROM jobs WHERE id = ?', [id]);
    return row && toRecord(row);
  }

  /** Most recent first. */
  async list(limit: number): Promise<JobRecord[]> {
    return (await this.db.all<Row>('SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT ?', [limit])).map(toRecord);
  }

  /** How many jobs wait and run right now (health). */
  async countActive(): Promise<{ queued: number; running: number }> {
    const rows = await this.db.all<{ status: JobStatus; n: number }>(`SELECT status, COUNT(*) AS n FROM jobs WHERE status IN ('queued', 'running') GROUP BY status`);
    const count = (status: JobStatus) => rows.find((r) => r.status === status)?.n ?? 0;
    return { queued: count('queued'), running: count('running') };
  }

  /**
   * Atomically takes the oldest queued job and marks it running; undefined when none is queued. On
   * Postgres, processes claiming at once skip each other's locked row (FOR UPDATE SKIP LOCKED) and the
   * outer `status = 'queued'` re-check makes a lost race claim nothing rather than the same job twice.
   */
  async claimNext(): Promise<JobRecord | undefined> {
    const lock = this.db.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    const row = await this.db.one<Row>(
      `UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = ?, stage = NULL
       WHERE status = 'queued' AND id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at, rowid LIMIT 1${lock})
       RETURNING *`,
      [now()],
    );
    return row && toRecord(row);
  }

  /** Puts jobs a dead process left `running` back in the queue; returns their ids. */
  async requeueRunning(): Promise<string[]> {
    const rows = await this.db.all<{ id: string }>(`UPDATE jobs SET status = 'queued', stage = NULL WHERE status = 'running' RETURNING id`);
    return rows.map((r) => r.id);
  }

  /** Puts one running job back in the queue (graceful shutdown mid-job). */
  async requeue(id: string): Promise<void> {
    await this.db.run(`UPDATE jobs SET status = 'queued', stage = NULL WHERE id = ? AND status = 'running'`, [id]);
  }

  /** Puts a failed job back in the queue to deliver its pending outbox payload (the outbox sweeper); false if it was not failed. */
  async requeueFailed(id: string): Promise<boolean> {
    const { changes } = await this.db.run(
      `UPDATE jobs SET status = 'queued', stage = NULL, error_code = NULL, error_message = NULL, finished_at = NULL WHERE id = ? AND status = 'failed'`,
      [id],
    );
    return changes > 0;
  }

  async setStage(id: string, stage: JobStage): Promise<void> {
    await this.db.run('UPDATE jobs SET stage = ? WHERE id = ?', [stage, id]);
  }

  async setProgress(id: string, slicesDone: number, slicesTotal: number): Promise<void> {
    await this.db.run('UPDATE jobs SET slices_done = ?, slices_total = ? WHERE id = ?', [slicesDone, slicesTotal, id]);
  }

  async setTimings(id: string, timings: JobTimings): Promise<void> {
    await this.db.run('UPDATE jobs SET timings = ? WHERE id = ?', [JSON.stringify(timings), id]);
  }

  async setSeries(id: string, seriesInstanceUID: string, selection: unknown): Promise<void> {
    await this.db.run('UPDATE jobs SET series_instance_uid = ?, series_selection = ? WHERE id = ?', [seriesInstanceUID, JSON.stringify(selection), id]);
  }

  async setModel(id: string, name: string, version: string): Promise<void> {
    await this.db.run('UPDATE jobs SET model_name = ?, model_version = ? WHERE id = ?', [name, version, id]);
  }

  async succeed(id: string, result: unknown): Promise<void> {
    await this.db.run(`UPDATE jobs SET status = 'succeeded', result = ?, error_code = NULL, error_message = NULL, finished_at = ? WHERE id = ?`, [JSON.stringify(result), now(), id]);
  }

  async fail(id: string, code: string, message: string): Promise<void> {
    await this.db.run(`UPDATE jobs SET status = 'failed', error_code = ?, error_message = ?, finished_at = ? WHERE id = ?`, [code, message, now(), id]);
  }

  /**
   * Cancels a queued job at once, or flags a running one for the worker to stop at its next check.
   * Returns the status after the request. Each UPDATE re-checks the status it expects, so a claim that
   * lands in between is seen (never cancel a job that another process just started without flagging it).
   */
  async requestCancel(id: string): Promise<JobStatus | undefined> {
    const cancelled = await this.db.run(`UPDATE jobs SET status = 'cancelled', cancel_requested = 1, finished_at = ? WHERE id = ? AND status = 'queued'`, [now(), id]);
    if (cancelled.changes > 0) return 'cancelled';
    await this.db.run(`UPDATE jobs SET cancel_requested = 1 WHERE id = ? AND status = 'running'`, [id]);
    return (await this.get(id))?.status;
  }

  async isCancelRequested(id: string): Promise<boolean> {
    const row = await this.db.one<{ cancel_requested: number }>('SELECT cancel_requested FROM jobs WHERE id = ?', [id]);
    return row?.cancel_requested === 1;
  }

  async markCancelled(id: string): Promise<void> {
    await this.db.run(`UPDATE jobs SET status = 'cancelled', finished_at = ? WHERE id = ?`, [now(), id]);
  }
}
