import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DatabaseRepository } from '../../core/repositories/database.repository';

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
 * The durable job queue. Every state change is one SQLite statement (autocommit, synchronous=FULL), so
 * a crash at any point leaves a consistent row that the next boot can resume.
 */
@Injectable()
export class JobRepository {
  constructor(private readonly database: DatabaseRepository) {}

  private get db() {
    return this.database.db;
  }

  create(input: { pacsEndpointId: string; studyInstanceUID: string; requestedSeriesInstanceUID?: string; force: boolean; source?: JobSource }): JobRecord {
    const id = randomUUID();
    this.db
      .prepare(
        `INSERT INTO jobs (id, pacs_endpoint_id, source, study_instance_uid, requested_series_instance_uid, series_instance_uid, force, status, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?)`,
      )
      .run(
        id,
        input.pacsEndpointId,
        input.source ?? 'dicomweb',
        input.studyInstanceUID,
        input.requestedSeriesInstanceUID ?? null,
        input.requestedSeriesInstanceUID ?? null,
        input.force ? 1 : 0,
        now(),
      );
    return this.get(id)!;
  }

  get(id: string): JobRecord | undefined {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as Row | undefined;
    return row && toRecord(row);
  }

  /** Most recent first. */
  list(limit: number): JobRecord[] {
    return (this.db.prepare('SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT ?').all(limit) as Row[]).map(toRecord);
  }

  /** How many jobs wait and run right now (health). */
  countActive(): { queued: number; running: number } {
    const rows = this.db.prepare(`SELECT status, COUNT(*) AS n FROM jobs WHERE status IN ('queued', 'running') GROUP BY status`).all() as Array<{ status: JobStatus; n: number }>;
    const count = (status: JobStatus) => rows.find((r) => r.status === status)?.n ?? 0;
    return { queued: count('queued'), running: count('running') };
  }

  /** Atomically takes the oldest queued job and marks it running; undefined when none is queued. */
  claimNext(): JobRecord | undefined {
    const row = this.db
      .prepare(
        `UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = ?, stage = NULL
         WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at, rowid LIMIT 1)
         RETURNING *`,
      )
      .get(now()) as Row | undefined;
    return row && toRecord(row);
  }

  /** Puts jobs a dead process left `running` back in the queue; returns their ids. */
  requeueRunning(): string[] {
    const rows = this.db.prepare(`UPDATE jobs SET status = 'queued', stage = NULL WHERE status = 'running' RETURNING id`).all() as Array<{ id: string }>;
    return rows.map((r) => r.id);
  }

  /** Puts one running job back in the queue (graceful shutdown mid-job). */
  requeue(id: string): void {
    this.db.prepare(`UPDATE jobs SET status = 'queued', stage = NULL WHERE id = ? AND status = 'running'`).run(id);
  }

  /** Puts a failed job back in the queue to deliver its pending outbox payload (the outbox sweeper); false if it was not failed. */
  requeueFailed(id: string): boolean {
    return this.db.prepare(`UPDATE jobs SET status = 'queued', stage = NULL, error_code = NULL, error_message = NULL, finished_at = NULL WHERE id = ? AND status = 'failed'`).run(id).changes > 0;
  }

  setStage(id: string, stage: JobStage): void {
    this.db.prepare('UPDATE jobs SET stage = ? WHERE id = ?').run(stage, id);
  }

  setProgress(id: string, slicesDone: number, slicesTotal: number): void {
    this.db.prepare('UPDATE jobs SET slices_done = ?, slices_total = ? WHERE id = ?').run(slicesDone, slicesTotal, id);
  }

  setTimings(id: string, timings: JobTimings): void {
    this.db.prepare('UPDATE jobs SET timings = ? WHERE id = ?').run(JSON.stringify(timings), id);
  }

  setSeries(id: string, seriesInstanceUID: string, selection: unknown): void {
    this.db.prepare('UPDATE jobs SET series_instance_uid = ?, series_selection = ? WHERE id = ?').run(seriesInstanceUID, JSON.stringify(selection), id);
  }

  setModel(id: string, name: string, version: string): void {
    this.db.prepare('UPDATE jobs SET model_name = ?, model_version = ? WHERE id = ?').run(name, version, id);
  }

  succeed(id: string, result: unknown): void {
    this.db
      .prepare(`UPDATE jobs SET status = 'succeeded', result = ?, error_code = NULL, error_message = NULL, finished_at = ? WHERE id = ?`)
      .run(JSON.stringify(result), now(), id);
  }

  fail(id: string, code: string, message: string): void {
    this.db.prepare(`UPDATE jobs SET status = 'failed', error_code = ?, error_message = ?, finished_at = ? WHERE id = ?`).run(code, message, now(), id);
  }

  /**
   * Cancels a queued job at once, or flags a running one for the worker to stop at its next check.
   * Returns the status after the request.
   */
  requestCancel(id: string): JobStatus | undefined {
    return this.db.transaction(() => {
      const job = this.get(id);
      if (!job) return undefined;
      if (job.status === 'queued') {
        this.db.prepare(`UPDATE jobs SET status = 'cancelled', cancel_requested = 1, finished_at = ? WHERE id = ?`).run(now(), id);
        return 'cancelled' as const;
      }
      if (job.status === 'running') this.db.prepare('UPDATE jobs SET cancel_requested = 1 WHERE id = ?').run(id);
      return job.status;
    })();
  }

  isCancelRequested(id: string): boolean {
    const row = this.db.prepare('SELECT cancel_requested FROM jobs WHERE id = ?').get(id) as { cancel_requested: number } | undefined;
    return row?.cancel_requested === 1;
  }

  markCancelled(id: string): void {
    this.db.prepare(`UPDATE jobs SET status = 'cancelled', finished_at = ? WHERE id = ?`).run(now(), id);
  }
}
