import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from './config.repository';
import { DatabaseRepository } from './database.repository';

/**
 * One job's result waiting for (or done with) delivery: the SEG, the key images and the SR, each a file
 * under DATA_DIR/outbox, delivered as one unit (jobs/deliver-result.step.ts).
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
  /** The SEG's file. */
  filePath: string;
  /** The other objects' files, in delivery order (key images, then the SR last). */
  extraFilePaths: string[];
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
  sr_sop_instance_uid: string | null;
  file_path: string;
  extra_file_paths: string;
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
  srSopInstanceUID: row.sr_sop_instance_uid,
  filePath: row.file_path,
  extraFilePaths: JSON.parse(row.extra_file_paths) as string[],
  byteLength: row.byte_length,
  status: row.status,
  result: JSON.parse(row.result),
  createdAt: row.created_at,
  deliveredAt: row.delivered_at,
});

export type NewOutboxEntry = Omit<OutboxEntry, 'id' | 'filePath' | 'extraFilePaths' | 'byteLength' | 'status' | 'createdAt' | 'deliveredAt'>;

/** One Part 10 object of a result. */
export interface OutboxObject {
  sopInstanceUID: string;
  /** Copied to disk, not retained. */
  bytes: Uint8Array;
}

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
   * Writes every object's file (temp file, fsync, rename: never a half file under a final name), then
   * the one row that makes them a pending result. A crash before the row leaves orphan files and no
   * row, which only costs disk: the job runs again and nothing was sent. With the row, the whole set
   * is delivered, never a part of it.
   * @param objects the SEG first, then the others in delivery order (the SR last).
   */
  add(entry: NewOutboxEntry, objects: readonly OutboxObject[]): OutboxEntry {
    if (objects.length === 0 || objects[0]!.sopInstanceUID !== entry.segSopInstanceUID) throw new Error(`Outbox entry of job ${entry.jobId} must start with its SEG`);
    mkdirSync(this.config.outboxDir, { recursive: true });
    const id = randomUUID();
    const paths = objects.map(({ sopInstanceUID, bytes }) => {
      const filePath = join(this.config.outboxDir, `${sopInstanceUID}.dcm`);
      const temp = `${filePath}.${id}.tmp`;
      const fd = openSync(temp, 'w');
      try {
        writeSync(fd, bytes);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, filePath);
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

  markDelivered(id: string): void {
    this.db.prepare(`UPDATE seg_outbox SET status = 'delivered', delivered_at = ? WHERE id = ?`).run(new Date().toISOString(), id);
  }
}
