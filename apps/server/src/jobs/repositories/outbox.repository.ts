import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';
import { writeFileDurably } from '../../core/repositories/durable-file';
import { SqlDatabase, SqlExecutor } from '../../core/database/sql-database';

/**
 * A SEG waiting for (or done with) STOW-RS. The bytes live in files under DATA_DIR/outbox (SQLite,
 * embedded), or in the outbox_payloads table (PostgreSQL: no disk is shared between processes).
 */
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
  /** The SEG's file; `database:<SOP Instance UID>` when the payload is in the database. */
  filePath: string;
  /** The other objects' files (or `database:` names), in delivery order (key images, then the SR last). */
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
  /** When the payload (files or rows) was deleted (delivered or failed, past OUTBOX_KEEP_DELIVERED_HOURS). */
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
  /** Copied to disk or the database, not retained. */
  bytes: Uint8Array;
}

const DATABASE_PREFIX = 'database:';

/**
 * The result outbox: a job's SEG, key images and SR are made durable here, as one entry, BEFORE any
 * store, so that a crash between building and storing (or between two stores) resends the same bytes
 * (same SOP Instance UIDs) instead of building a duplicate result.
 * Where the bytes live depends on the database, never on the caller:
 * - SQLite (embedded, one process): files, 0600 in a 0700 folder, written durably before their row;
 * - PostgreSQL (scaled, several processes, maybe on several hosts): outbox_payloads rows, written in the
 *   same transaction as the entry, so any worker can deliver what another built and no SEG is ever only
 *   on one worker's disk.
 * Payloads hold patient data (PatientID…): a payload is deleted once delivered (or failed) and older
 * than OUTBOX_KEEP_DELIVERED_HOURS (0: at once). Nothing here is specific to SEG.
 */
@Injectable()
export class OutboxRepository {
  constructor(
    private readonly db: SqlDatabase,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** True when payloads live in the database rather than in files. */
  private get payloadsInDatabase(): boolean {
    return this.db.dialect === 'postgres';
  }

  async getForJob(jobId: string): Promise<OutboxEntry | undefined> {
    const row = await this.db.one<Row>('SELECT * FROM seg_outbox WHERE job_id = ?', [jobId]);
    return row && toEntry(row);
  }

  /** The newest delivered SEG of this source series and model version, on this endpoint. */
  async findDelivered(pacsEndpointId: string, sourceSeriesInstanceUID: string, modelName: string, modelVersion: string): Promise<OutboxEntry | undefined> {
    const row = await this.db.one<Row>(
      `SELECT * FROM seg_outbox WHERE pacs_endpoint_id = ? AND source_series_instance_uid = ? AND model_name = ? AND model_version = ? AND status = 'delivered'
       ORDER BY delivered_at DESC LIMIT 1`,
      [pacsEndpointId, sourceSeriesInstanceUID, modelName, modelVersion],
    );
    return row && toEntry(row);
  }

  /**
   * Makes the objects durable, then the one row that makes them a pending result.
   * - Files: temp file, fsync, rename (never a half file under a final name), then the row. A crash
   *   before the row leaves orphan files and no row, which only costs disk: the job runs again and
   *   nothing was sent.
   * - Database: the row and the payload rows in one transaction: all or nothing.
   * With the row, the whole set is delivered, never a part of it.
   * @param objects the SEG first, then the others in delivery order (the SR last).
   */
  async add(entry: NewOutboxEntry, objects: readonly OutboxObject[]): Promise<OutboxEntry> {
    if (objects.length === 0 || objects[0]!.sopInstanceUID !== entry.segSopInstanceUID) throw new Error(`Outbox entry of job ${entry.jobId} must start with its SEG`);
    const id = randomUUID();
    const byteLength = objects.reduce((sum, o) => sum + o.bytes.byteLength, 0);
    if (!this.payloadsInDatabase) {
      const paths = this.writeFiles(id, objects);
      await this.insert(this.db, id, entry, paths, byteLength);
    } else {
      await this.db.transaction(async (tx) => {
        await this.insert(tx, id, entry, objects.map((o) => `${DATABASE_PREFIX}${o.sopInstanceUID}`), byteLength);
        for (const [position, object] of objects.entries()) {
          await tx.run('INSERT INTO outbox_payloads (outbox_id, position, sop_instance_uid, bytes) VALUES (?, ?, ?, ?)', [id, position, object.sopInstanceUID, object.bytes]);
        }
      });
    }
    return (await this.getForJob(entry.jobId))!;
  }

  private writeFiles(id: string, objects: readonly OutboxObject[]): string[] {
    mkdirSync(this.config.outboxDir, { recursive: true, mode: 0o700 });
    // mkdir's mode only applies to a new folder (and under the umask): tighten an existing one too.
    chmodSync(this.config.outboxDir, 0o700);
    return objects.map(({ sopInstanceUID, bytes }) => {
      const filePath = join(this.config.outboxDir, `${sopInstanceUID}.dcm`);
      writeFileDurably(filePath, bytes, id);
      return filePath;
    });
  }

  private async insert(tx: SqlExecutor, id: string, entry: NewOutboxEntry, paths: string[], byteLength: number): Promise<void> {
    await tx.run(
      `INSERT INTO seg_outbox (id, job_id, pacs_endpoint_id, study_instance_uid, source_series_instance_uid, model_name, model_version,
         seg_series_instance_uid, seg_sop_instance_uid, sr_sop_instance_uid, file_path, extra_file_paths, byte_length, status, result, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
      [
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
        paths[0]!,
        JSON.stringify(paths.slice(1)),
        byteLength,
        JSON.stringify(entry.result),
        new Date().toISOString(),
      ],
    );
  }

  /** The stored objects in delivery order (SEG first, SR last); new buffers owned by the caller. */
  async readObjects(entry: OutboxEntry): Promise<Uint8Array[]> {
    const names = [entry.filePath, ...entry.extraFilePaths];
    if (!names[0]!.startsWith(DATABASE_PREFIX)) return names.map((path) => new Uint8Array(readFileSync(path)));
    const rows = await this.db.all<{ bytes: Buffer }>('SELECT bytes FROM outbox_payloads WHERE outbox_id = ? ORDER BY position', [entry.id]);
    if (rows.length !== names.length) throw new Error(`Outbox entry ${entry.id} holds ${rows.length} of its ${names.length} payloads`);
    return rows.map((r) => new Uint8Array(r.bytes));
  }

  /** Marks the entry delivered, and deletes its payload at once when OUTBOX_KEEP_DELIVERED_HOURS is 0. */
  async markDelivered(id: string): Promise<void> {
    await this.db.run(`UPDATE seg_outbox SET status = 'delivered', delivered_at = ?, next_attempt_at = NULL WHERE id = ?`, [new Date().toISOString(), id]);
    if (this.config.outboxKeepDeliveredHours === 0) await this.sweepPayloads(new Date());
  }

  /**
   * Records a failed delivery: the entry stays pending with its next attempt after an exponential
   * backoff (OUTBOX_RETRY_BASE_MS × 2^(attempts-1), at most 6 h), or becomes failed once
   * OUTBOX_MAX_ATTEMPTS deliveries failed. Returns the new status.
   */
  async recordFailure(id: string, reason: string, now: Date = new Date()): Promise<'pending' | 'failed'> {
    const row = await this.db.one<{ attempts: number }>('SELECT attempts FROM seg_outbox WHERE id = ?', [id]);
    if (!row) return 'failed';
    const attempts = row.attempts + 1;
    const message = reason.slice(0, 1000);
    if (attempts >= this.config.outboxMaxAttempts) {
      await this.db.run(`UPDATE seg_outbox SET status = 'failed', attempts = ?, last_error = ?, failed_at = ?, next_attempt_at = NULL WHERE id = ?`, [attempts, message, now.toISOString(), id]);
      if (this.config.outboxKeepFailedHours === 0) await this.sweepPayloads(now);
      return 'failed';
    }
    const delay = Math.min(this.config.outboxRetryBaseMs * 2 ** (attempts - 1), 6 * 3600_000);
    await this.db.run(`UPDATE seg_outbox SET attempts = ?, last_error = ?, next_attempt_at = ? WHERE id = ?`, [attempts, message, new Date(now.getTime() + delay).toISOString(), id]);
    return 'pending';
  }

  /** Pending entries whose job failed (so nothing is delivering them) and whose next attempt is due. */
  async listDueForRetry(now: Date = new Date()): Promise<OutboxEntry[]> {
    const rows = await this.db.all<Row>(
      `SELECT o.* FROM seg_outbox o JOIN jobs j ON j.id = o.job_id
       WHERE o.status = 'pending' AND j.status = 'failed' AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?) ORDER BY o.created_at LIMIT 100`,
      [now.toISOString()],
    );
    return rows.map(toEntry);
  }

  /** Deletes the payloads (files or rows) of delivered and failed entries past their retention (OUTBOX_KEEP_DELIVERED_HOURS, OUTBOX_KEEP_FAILED_HOURS); returns how many entries. */
  async sweepPayloads(now: Date = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.outboxKeepDeliveredHours * 3600_000).toISOString();
    // A failed entry's SEG never reached the PACS: it is kept longer, for an admin's re-delivery.
    const failedCutoff = new Date(now.getTime() - this.config.outboxKeepFailedHours * 3600_000).toISOString();
    const rows = await this.db.all<{ id: string; file_path: string; extra_file_paths: string }>(
      `SELECT id, file_path, extra_file_paths FROM seg_outbox WHERE payload_deleted_at IS NULL
       AND ((status = 'delivered' AND delivered_at <= ?) OR (status = 'failed' AND failed_at <= ?))`,
      [cutoff, failedCutoff],
    );
    for (const row of rows) {
      // The whole result goes: the SEG and the SR and key images.
      if (row.file_path.startsWith(DATABASE_PREFIX)) {
        await this.db.transaction(async (tx) => {
          await tx.run('DELETE FROM outbox_payloads WHERE outbox_id = ?', [row.id]);
          await tx.run('UPDATE seg_outbox SET payload_deleted_at = ? WHERE id = ?', [now.toISOString(), row.id]);
        });
        continue;
      }
      for (const path of [row.file_path, ...(JSON.parse(row.extra_file_paths) as string[])]) rmSync(path, { force: true });
      await this.db.run('UPDATE seg_outbox SET payload_deleted_at = ? WHERE id = ?', [now.toISOString(), row.id]);
    }
    return rows.length;
  }

  async get(id: string): Promise<OutboxEntry | undefined> {
    const row = await this.db.one<Row>('SELECT * FROM seg_outbox WHERE id = ?', [id]);
    return row && toEntry(row);
  }

  /** Entries, newest first, optionally of one status (the admin's outbox list). */
  async list(status: OutboxEntry['status'] | undefined, limit: number): Promise<OutboxEntry[]> {
    const rows = status
      ? await this.db.all<Row>('SELECT * FROM seg_outbox WHERE status = ? ORDER BY created_at DESC LIMIT ?', [status, limit])
      : await this.db.all<Row>('SELECT * FROM seg_outbox ORDER BY created_at DESC LIMIT ?', [limit]);
    return rows.map(toEntry);
  }

  /**
   * Puts a failed entry whose payload is still stored back to pending with no failed attempt, for an
   * admin's re-delivery. False when it is not (or no longer) failed with its payload: compare-and-set.
   * The last error stays until a delivery succeeds or fails again.
   */
  async resetForRedelivery(id: string): Promise<boolean> {
    const { changes } = await this.db.run(
      `UPDATE seg_outbox SET status = 'pending', attempts = 0, failed_at = NULL, next_attempt_at = NULL WHERE id = ? AND status = 'failed' AND payload_deleted_at IS NULL`,
      [id],
    );
    return changes === 1;
  }

  /** Entries by status, for /metrics. */
  async countByStatus(): Promise<Record<OutboxEntry['status'], number>> {
    const counts = { pending: 0, delivered: 0, failed: 0 };
    for (const row of await this.db.all<{ status: OutboxEntry['status']; n: number }>('SELECT status, COUNT(*) AS n FROM seg_outbox GROUP BY status')) counts[row.status] = row.n;
    return counts;
  }
}
