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

  /**
   * Takes one job by id for a queue worker (scaled mode): a queued job, or a running one whose worker
   * died (BullMQ hands a stalled job to another worker), becomes running with one more attempt.
   * Undefined when the job is gone or finished (cancelled while queued, or done by an earlier attempt).
   */
  async claimById(id: string): Promise<JobRecord | undefined> {
    const row = await this.db.one<Row>(
      `UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = ?, stage = NULL WHERE id = ? AND status IN ('queued', 'running') RETURNING *`,
      [now(), id],
    );
    return row && toRecord(row);
  }

  /** Queued jobs that run before this one (the embedded queue takes the oldest first); undefined unless it is queued. */
  async queuedAhead(id: string): Promise<number | undefined> {
    const row = await this.db.one<{ ahead: number }>(
      `SELECT (SELECT COUNT(*) FROM jobs o WHERE o.status = 'queued' AND (o.created_at < j.created_at OR (o.created_at = j.created_at AND o.rowid < j.rowid))) AS ahead
       FROM jobs j WHERE j.id = ? AND j.status = 'queued'`,
      [id],
    );
    return row === undefined ? undefined : Number(row.ahead);
  }

  /** Jobs waiting for or holding a worker, oldest first: what the queue must know about (scaled mode's reconciler). */
  async listActive(limit = 10_000): Promise<Array<Pick<JobRecord, 'id' | 'status'>>> {
    return this.db.all<Pick<JobRecord, 'id' | 'status'>>(`SELECT id, status FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at, rowid LIMIT ?`, [limit]);
  }

  /** Seconds per source slice over the last `limit` succeeded jobs that ran a model (queue ETA); undefined without history. */
  async recentSecondsPerSlice(limit = 20): Promise<{ secondsPerSlice: number; slicesPerJob: number } | undefined> {
    const rows = await this.db.all<{ started_at: string; finished_at: string; slices_total: number }>(
      `SELECT started_at, finished_at, slices_total FROM jobs WHERE status = 'succeeded' AND slices_total > 0 AND started_at IS NOT NULL AND finished_at IS NOT NULL
       ORDER BY finished_at DESC LIMIT ?`,
      [limit],
    );
    let seconds = 0;
    let slices = 0;
    for (const row of rows) {
      const s = (Date.parse(row.finished_at) - Date.parse(row.started_at)) / 1000;
      if (Number.isFinite(s) && s >= 0) {
        seconds += s;
        slices += Number(row.slices_total);
      }
    }
    if (slices === 0) return undefined;
    return { secondsPerSlice: seconds / slices, slicesPerJob: slices / rows.length };
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
    await this.db.runVolatile('UPDATE jobs SET stage = ? WHERE id = ?', [stage, id]);
  }

  async setProgress(id: string, slicesDone: number, slicesTotal: number): Promise<void> {
    await this.db.runVolatile('UPDATE jobs SET slices_done = ?, slices_total = ? WHERE id = ?', [slicesDone, slicesTotal, id]);
  }

  async setTimings(id: string, timings: JobTimings): Promise<void> {
    await this.db.runVolatile('UPDATE jobs SET timings = ? WHERE id = ?', [JSON.stringify(timings), id]);
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
