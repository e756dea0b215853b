import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';
import { writeFileDurably } from '../../core/repositories/durable-file';
import { SqlDatabase, SqlExecutor } from '../../core/database/sql-database';

/** Figures of a saved correction, recomputed from its labelmaps (mL, %). */
export interface CorrectionQuantification {
  segments: Array<{ segmentNumber: number; label: string; voxelCount: number; volumeMl: number }>;
  /** From the segments labelled like ours (COVID-19 infection, Lung); null when the SEG has no such segment. */
  infectionMl: number | null;
  lungMl: number | null;
  involvementPercent: number | null;
  voxelVolumeMm3: number;
}

export interface CorrectionRecord {
  id: string;
  pacsEndpointId: string;
  studyInstanceUID: string;
  sourceSeriesInstanceUID: string;
  derivedFromSeriesInstanceUID: string;
  derivedFromSopInstanceUID: string;
  contentSha256: string;
  segSeriesInstanceUID: string;
  segSopInstanceUID: string;
  filePath: string;
  status: 'pending' | 'delivered';
  /** `token:<id>` or `oidc:<sub>`. */
  actor: string;
  /** The token label or OIDC subject, as shown to people. */
  reviewer: string;
  changedVoxels: number;
  quantification: CorrectionQuantification;
  createdAt: string;
  deliveredAt: string | null;
}

interface Row {
  id: string;
  pacs_endpoint_id: string;
  study_instance_uid: string;
  source_series_instance_uid: string;
  derived_from_series_instance_uid: string;
  derived_from_sop_instance_uid: string;
  content_sha256: string;
  seg_series_instance_uid: string;
  seg_sop_instance_uid: string;
  file_path: string;
  status: 'pending' | 'delivered';
  actor: string;
  reviewer: string;
  changed_voxels: number;
  quantification: string;
  created_at: string;
  delivered_at: string | null;
}

const toRecord = (row: Row): CorrectionRecord => ({
  id: row.id,
  pacsEndpointId: row.pacs_endpoint_id,
  studyInstanceUID: row.study_instance_uid,
  sourceSeriesInstanceUID: row.source_series_instance_uid,
  derivedFromSeriesInstanceUID: row.derived_from_series_instance_uid,
  derivedFromSopInstanceUID: row.derived_from_sop_instance_uid,
  contentSha256: row.content_sha256,
  segSeriesInstanceUID: row.seg_series_instance_uid,
  segSopInstanceUID: row.seg_sop_instance_uid,
  filePath: row.file_path,
  status: row.status,
  actor: row.actor,
  reviewer: row.reviewer,
  changedVoxels: row.changed_voxels,
  quantification: JSON.parse(row.quantification) as CorrectionQuantification,
  createdAt: row.created_at,
  deliveredAt: row.delivered_at,
});

export type NewCorrection = Omit<CorrectionRecord, 'id' | 'filePath' | 'status' | 'createdAt' | 'deliveredAt'>;

/** `file_path` of a correction whose SEG is kept in the correction_payloads table (PostgreSQL). */
const IN_DATABASE = 'database:';

/**
 * Saved corrections. Like the job outbox, the SEG is made durable before STOW-RS, so a failed or
 * interrupted store is resent with the same bytes and SOP Instance UID instead of building a second
 * object; the export reads it back later. Where it lives:
 * - SQLite (embedded, one process): a file in DATA_DIR/corrections (temp file, fsync, rename), then its row;
 * - PostgreSQL (scaled, several API processes, no shared disk): a correction_payloads row, written in the
 *   same transaction as the correction's row, so any API process can resend or export it.
 */
@Injectable()
export class CorrectionRepository {
  private readonly dir: string;

  constructor(
    private readonly db: SqlDatabase,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.dir = join(config.dataDir, 'corrections');
  }

  async findByContent(pacsEndpointId: string, derivedFromSopInstanceUID: string, contentSha256: string): Promise<CorrectionRecord | undefined> {
    const row = await this.db.one<Row>('SELECT * FROM corrections WHERE pacs_endpoint_id = ? AND derived_from_sop_instance_uid = ? AND content_sha256 = ?', [
      pacsEndpointId,
      derivedFromSopInstanceUID,
      contentSha256,
    ]);
    return row && toRecord(row);
  }

  async get(id: string): Promise<CorrectionRecord | undefined> {
    const row = await this.db.one<Row>('SELECT * FROM corrections WHERE id = ?', [id]);
    return row && toRecord(row);
  }

  /** Corrections of a source series (or of every series when `sourceSeriesInstanceUID` is undefined), newest first. */
  async list(filter: { pacsEndpointId?: string; studyInstanceUID?: string; sourceSeriesInstanceUID?: string; status?: 'delivered' } = {}, limit = 1000): Promise<CorrectionRecord[]> {
    const conditions: Array<[string, string | undefined]> = [
      ['pacs_endpoint_id = ?', filter.pacsEndpointId],
      ['study_instance_uid = ?', filter.studyInstanceUID],
      ['source_series_instance_uid = ?', filter.sourceSeriesInstanceUID],
      ['status = ?', filter.status],
    ];
    const used = conditions.filter(([, value]) => value !== undefined);
    const clauses = used.map(([clause]) => clause);
    const values = used.map(([, value]) => value as string);
    const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
    const rows = await this.db.all<Row>(`SELECT * FROM corrections ${where} ORDER BY created_at DESC LIMIT ?`, [...values, limit]);
    return rows.map(toRecord);
  }

  /** Writes the SEG (file or payload row), then the row. @param bytes the Part 10 SEG; copied, not retained. */
  async add(correction: NewCorrection, bytes: Uint8Array, now = new Date()): Promise<CorrectionRecord> {
    const id = randomUUID();
    if (this.db.dialect === 'postgres') {
      await this.db.transaction(async (tx) => {
        await this.insert(tx, id, correction, `${IN_DATABASE}${correction.segSopInstanceUID}`, now);
        await tx.run('INSERT INTO correction_payloads (correction_id, bytes) VALUES (?, ?)', [id, bytes]);
      });
      return (await this.get(id))!;
    }
    // The SEG carries patient data: owner-only, like the job outbox (0700 folder, 0600 files).
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const filePath = join(this.dir, `${correction.segSopInstanceUID}.dcm`);
    writeFileDurably(filePath, bytes, id);
    await this.insert(this.db, id, correction, filePath, now);
    return (await this.get(id))!;
  }

  private async insert(db: SqlExecutor, id: string, correction: NewCorrection, filePath: string, now: Date): Promise<void> {
    await db.run(
      `INSERT INTO corrections (id, pacs_endpoint_id, study_instance_uid, source_series_instance_uid, derived_from_series_instance_uid,
         derived_from_sop_instance_uid, content_sha256, seg_series_instance_uid, seg_sop_instance_uid, file_path, status, actor, reviewer,
         changed_voxels, quantification, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)`,
      [
        id,
        correction.pacsEndpointId,
        correction.studyInstanceUID,
        correction.sourceSeriesInstanceUID,
        correction.derivedFromSeriesInstanceUID,
        correction.derivedFromSopInstanceUID,
        correction.contentSha256,
        correction.segSeriesInstanceUID,
        correction.segSopInstanceUID,
        filePath,
        correction.actor,
        correction.reviewer,
        correction.changedVoxels,
        JSON.stringify(correction.quantification),
        now.toISOString(),
      ],
    );
  }

  /** The stored SEG bytes; a new buffer owned by the caller. */
  async readBytes(record: CorrectionRecord): Promise<Uint8Array> {
    if (!record.filePath.startsWith(IN_DATABASE)) return new Uint8Array(readFileSync(record.filePath));
    const row = await this.db.one<{ bytes: Buffer }>('SELECT bytes FROM correction_payloads WHERE correction_id = ?', [record.id]);
    if (!row) throw new Error(`Correction ${record.id}: its SEG ${record.segSopInstanceUID} is missing from correction_payloads`);
    return new Uint8Array(row.bytes);
  }

  async markDelivered(id: string, now = new Date()): Promise<CorrectionRecord> {
    await this.db.run(`UPDATE corrections SET status = 'delivered', delivered_at = ? WHERE id = ?`, [now.toISOString(), id]);
    return (await this.get(id))!;
  }
}
