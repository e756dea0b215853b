import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';
import { writeFileDurably } from '../../core/repositories/durable-file';
import { DatabaseRepository } from '../../core/repositories/database.repository';

/** A SEG waiting for (or done with) STOW-RS. The bytes live in a file under DATA_DIR/outbox. */
export interface OutboxEntry {
  id: string;
  jobId: string;
  pacsEndpointId: string;
  studyInstanceUID: string;
  sourceSeriesInstanceUID: string;
  modelName: string;
  modelVersion: string;
  segSeriesInstanceUID: string;
  segSopInstanceUID: string;
  /** The SR that measures the SEG; null for entries written before SRs existed. */
  srSopInstanceUID: string | null;
  /** The SEG's file. */
  filePath: string;
  /** The other objects' files, in delivery order (key images, then the SR last). */
  extraFilePaths: string[];
  byteLength: number;
  /** pending: to be stored; delivered: stored; failed: OUTBOX_MAX_ATTEMPTS deliveries failed (see lastError). */
  status: 'pending' | 'delivered' | 'failed';
  /** Failed deliveries so far. */
  attempts: number;
  /** Why the last delivery failed (names the operation and URL, never patient data). */
  lastError: string | null;
  /** When the outbox sweeper may try again (ISO 8601), while pending after a failure. */
  nextAttemptAt: string | null;
  failedAt: string | null;
  /** When the payload file was deleted (delivered or failed, past OUTBOX_KEEP_DELIVERED_HOURS). */
  payloadDeletedAt: string | null;
  /** The job result to report once delivered (quantification etc.), stored with the SEG so a resumed job reports it too. */
  result: unknown;
  createdAt: string;
  deliveredAt: string | null;
}

interface Row {
  id: string;
  job_id: string;
  pacs_endpoint_id: string;
  study_instance_uid: string;
  source_series_instance_uid: string;
  model_name: string;
  model_version: string;
  seg_series_instance_uid: string;
  seg_sop_instance_uid: string;
  sr_sop_instance_uid: string | null;
  file_path: string;
  extra_file_paths: string;
  byte_length: number;
  status: 'pending' | 'delivered' | 'failed';
  result: string;
  created_at: string;
  delivered_at: string | null;
  attempts: number;
  last_error: string | null;
  next_attempt_at: string | null;
  failed_at: string | null;
  payload_deleted_at: string | null;
}

const toEntry = (row: Row): OutboxEntry => ({
  id: row.id,
  jobId: row.job_id,
  pacsEndpointId: row.pacs_endpoint_id,
  studyInstanceUID: row.study_instance_uid,
  sourceSeriesInstanceUID: row.source_series_instance_uid,
  modelName: row.model_name,
  modelVersion: row.model_version,
  segSeriesInstanceUID: row.seg_series_instance_uid,
  segSopInstanceUID: row.seg_sop_instance_uid,
  srSopInstanceUID: row.sr_sop_instance_uid,
  filePath: row.file_path,
  extraFilePaths: JSON.parse(row.extra_file_paths) as string[],
  byteLength: row.byte_length,
  status: row.status,
  attempts: row.attempts,
  lastError: row.last_error,
  nextAttemptAt: row.next_attempt_at,
  failedAt: row.failed_at,
  payloadDeletedAt: row.payload_deleted_at,
  result: JSON.parse(row.result),
  createdAt: row.created_at,
  deliveredAt: row.delivered_at,
});

export type NewOutboxEntry = Omit<OutboxEntry, 'id' | 'filePath' | 'extraFilePaths' | 'byteLength' | 'status' | 'createdAt' | 'deliveredAt' | 'attempts' | 'lastError' | 'nextAttemptAt' | 'failedAt' | 'payloadDeletedAt'>;

/** One Part 10 object of a result. */
export interface OutboxObject {
  sopInstanceUID: string;
  /** Copied to disk, not retained. */
  bytes: Uint8Array;
}

/**
 * The result outbox: a job's SEG, key images and SR are made durable here, as one entry, BEFORE any
 * store, so that a crash between building and storing (or between two stores) resends the same bytes
 * (same SOP Instance UIDs) instead of building a duplicate result.
 * Payloads hold patient data (PatientID…): files are 0600 in a 0700 folder, and a payload is deleted
 * once delivered (or failed) and older than OUTBOX_KEEP_DELIVERED_HOURS (0: at once). Nothing here is
 * specific to SEG: retention and retries apply to any payload stored in the outbox.
 */
@Injectable()
export class OutboxRepository {
  constructor(
    private readonly database: DatabaseRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private get db() {
    return this.database.db;
  }

  getForJob(jobId: string): OutboxEntry | undefined {
    const row = this.db.prepare('SELECT * FROM seg_outbox WHERE job_id = ?').get(jobId) as Row | undefined;
    return row && toEntry(row);
  }

  /** The newest delivered SEG of this source series and model version, on this endpoint. */
  findDelivered(pacsEndpointId: string, sourceSeriesInstanceUID: string, modelName: string, modelVersion: string): OutboxEntry | undefined {
    const row = this.db
      .prepare(
        `SELECT * FROM seg_outbox WHERE pacs_endpoint_id = ? AND source_series_instance_uid = ? AND model_name = ? AND model_version = ? AND status = 'delivered'
         ORDER BY delivered_at DESC LIMIT 1`,
      )
      .get(pacsEndpointId, sourceSeriesInstanceUID, modelName, modelVersion) as Row | undefined;
    return row && toEntry(row);
  }

  /**
   * Writes every object's file (temp file, fsync, rename: never a half file under a final name), then
   * the one row that makes them a pending result. A crash before the row leaves orphan files and no
   * row, which only costs disk: the job runs again and nothing was sent. With the row, the whole set
   * is delivered, never a part of it.
   * @param objects the SEG first, then the others in delivery order (the SR last).
   */
  add(entry: NewOutboxEntry, objects: readonly OutboxObject[]): OutboxEntry {
    if (objects.length === 0 || objects[0]!.sopInstanceUID !== entry.segSopInstanceUID) throw new Error(`Outbox entry of job ${entry.jobId} must start with its SEG`);
    mkdirSync(this.config.outboxDir, { recursive: true, mode: 0o700 });
    // mkdir's mode only applies to a new folder (and under the umask): tighten an existing one too.
    chmodSync(this.config.outboxDir, 0o700);
    const id = randomUUID();
    const paths = objects.map(({ sopInstanceUID, bytes }) => {
      const filePath = join(this.config.outboxDir, `${sopInstanceUID}.dcm`);
      writeFileDurably(filePath, bytes, id);
      return filePath;
    });
    this.db
      .prepare(
        `INSERT INTO seg_outbox (id, job_id, pacs_endpoint_id, study_instance_uid, source_series_instance_uid, model_name, model_version,
           seg_series_instance_uid, seg_sop_instance_uid, sr_sop_instance_uid, file_path, extra_file_paths, byte_length, status, result, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
      )
      .run(
        id,
        entry.jobId,
        entry.pacsEndpointId,
        entry.studyInstanceUID,
        entry.sourceSeriesInstanceUID,
        entry.modelName,
        entry.modelVersion,
        entry.segSeriesInstanceUID,
        entry.segSopInstanceUID,
        entry.srSopInstanceUID,
        paths[0],
        JSON.stringify(paths.slice(1)),
        objects.reduce((sum, o) => sum + o.bytes.byteLength, 0),
        JSON.stringify(entry.result),
        new Date().toISOString(),
      );
    return this.getForJob(entry.jobId)!;
  }

  /** The stored objects in delivery order (SEG first, SR last); new buffers owned by the caller. */
  readObjects(entry: OutboxEntry): Uint8Array[] {
    return [entry.filePath, ...entry.extraFilePaths].map((path) => new Uint8Array(readFileSync(path)));
  }

  /** Marks the entry delivered, and deletes its payload at once when OUTBOX_KEEP_DELIVERED_HOURS is 0. */
  markDelivered(id: string): void {
    this.db.prepare(`UPDATE seg_outbox SET status = 'delivered', delivered_at = ?, next_attempt_at = NULL WHERE id = ?`).run(new Date().toISOString(), id);
    if (this.config.outboxKeepDeliveredHours === 0) this.sweepPayloads(new Date());
  }

  /**
   * Records a failed delivery: the entry stays pending with its next attempt after an exponential
   * backoff (OUTBOX_RETRY_BASE_MS × 2^(attempts-1), at most 6 h), or becomes failed once
   * OUTBOX_MAX_ATTEMPTS deliveries failed. Returns the new status.
   */
  recordFailure(id: string, reason: string, now: Date = new Date()): 'pending' | 'failed' {
    const row = this.db.prepare('SELECT attempts FROM seg_outbox WHERE id = ?').get(id) as { attempts: number } | undefined;
    if (!row) return 'failed';
    const attempts = row.attempts + 1;
    const message = reason.slice(0, 1000);
    if (attempts >= this.config.outboxMaxAttempts) {
      this.db.prepare(`UPDATE seg_outbox SET status = 'failed', attempts = ?, last_error = ?, failed_at = ?, next_attempt_at = NULL WHERE id = ?`).run(attempts, message, now.toISOString(), id);
      if (this.config.outboxKeepDeliveredHours === 0) this.sweepPayloads(now);
      return 'failed';
    }
    const delay = Math.min(this.config.outboxRetryBaseMs * 2 ** (attempts - 1), 6 * 3600_000);
    this.db.prepare(`UPDATE seg_outbox SET attempts = ?, last_error = ?, next_attempt_at = ? WHERE id = ?`).run(attempts, message, new Date(now.getTime() + delay).toISOString(), id);
    return 'pending';
  }

  /** Pending entries whose job failed (so nothing is delivering them) and whose next attempt is due. */
  listDueForRetry(now: Date = new Date()): OutboxEntry[] {
    const rows = this.db
      .prepare(
        `SELECT o.* FROM seg_outbox o JOIN jobs j ON j.id = o.job_id
         WHERE o.status = 'pending' AND j.status = 'failed' AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?) ORDER BY o.created_at LIMIT 100`,
      )
      .all(now.toISOString()) as Row[];
    return rows.map(toEntry);
  }

  /** Deletes the payload files of delivered and failed entries older than the retention; returns how many. */
  sweepPayloads(now: Date = new Date()): number {
    const cutoff = new Date(now.getTime() - this.config.outboxKeepDeliveredHours * 3600_000).toISOString();
    const rows = this.db
      .prepare(
        `SELECT id, file_path, extra_file_paths FROM seg_outbox WHERE payload_deleted_at IS NULL
         AND ((status = 'delivered' AND delivered_at <= ?) OR (status = 'failed' AND failed_at <= ?))`,
      )
      .all(cutoff, cutoff) as Array<{ id: string; file_path: string; extra_file_paths: string }>;
    const mark = this.db.prepare('UPDATE seg_outbox SET payload_deleted_at = ? WHERE id = ?');
    for (const row of rows) {
      // The whole result goes: the SEG's file and the SR's and key images' files.
      for (const path of [row.file_path, ...(JSON.parse(row.extra_file_paths) as string[])]) rmSync(path, { force: true });
      mark.run(now.toISOString(), row.id);
    }
    return rows.length;
  }

  /** Entries by status, for /metrics. */
  countByStatus(): Record<OutboxEntry['status'], number> {
    const counts = { pending: 0, delivered: 0, failed: 0 };
    for (const row of this.db.prepare('SELECT status, COUNT(*) AS n FROM seg_outbox GROUP BY status').all() as Array<{ status: OutboxEntry['status']; n: number }>) counts[row.status] = row.n;
    return counts;
  }
}
