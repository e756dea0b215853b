import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from './config.repository';
import { DatabaseRepository } from './database.repository';

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
  filePath: string;
  byteLength: number;
  status: 'pending' | 'delivered';
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
  file_path: string;
  byte_length: number;
  status: 'pending' | 'delivered';
  result: string;
  created_at: string;
  delivered_at: string | null;
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
  filePath: row.file_path,
  byteLength: row.byte_length,
  status: row.status,
  result: JSON.parse(row.result),
  createdAt: row.created_at,
  deliveredAt: row.delivered_at,
});

export type NewOutboxEntry = Omit<OutboxEntry, 'id' | 'filePath' | 'byteLength' | 'status' | 'createdAt' | 'deliveredAt'>;

/**
 * The SEG outbox: a built SEG is made durable here BEFORE STOW-RS, so that a crash between building and
 * storing resends the same bytes (same SOP Instance UID) instead of building a duplicate SEG.
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
   * Writes the SEG file (temp file, fsync, rename: never a half file under the final name), then the
   * row. A crash between the two leaves an orphan file and no row, which only costs disk.
   * @param bytes the Part 10 SEG; copied to disk, not retained.
   */
  add(entry: NewOutboxEntry, bytes: Uint8Array): OutboxEntry {
    mkdirSync(this.config.outboxDir, { recursive: true });
    const id = randomUUID();
    const filePath = join(this.config.outboxDir, `${entry.segSopInstanceUID}.dcm`);
    const temp = `${filePath}.${id}.tmp`;
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, filePath);
    this.db
      .prepare(
        `INSERT INTO seg_outbox (id, job_id, pacs_endpoint_id, study_instance_uid, source_series_instance_uid, model_name, model_version,
           seg_series_instance_uid, seg_sop_instance_uid, file_path, byte_length, status, result, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
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
        filePath,
        bytes.byteLength,
        JSON.stringify(entry.result),
        new Date().toISOString(),
      );
    return this.getForJob(entry.jobId)!;
  }

  /** The stored SEG bytes; a new buffer owned by the caller. */
  readBytes(entry: OutboxEntry): Uint8Array {
    return new Uint8Array(readFileSync(entry.filePath));
  }

  markDelivered(id: string): void {
    this.db.prepare(`UPDATE seg_outbox SET status = 'delivered', delivered_at = ? WHERE id = ?`).run(new Date().toISOString(), id);
  }
}
