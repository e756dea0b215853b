import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { SqlDatabase, SqlExecutor, SqlValue } from '../../core/database/sql-database';

export type ResultTransport = 'stow' | 'c-store';

/** A stored PACS endpoint. `sealedSecret` is what SecretCipher.seal returned, never the plain secret. */
export interface PacsEndpointRecord {
  id: string;
  name: string;
  /** DICOMweb root; null for a PACS reached over DIMSE only. */
  baseUrl: string | null;
  authType: 'none' | 'basic' | 'bearer';
  username: string | null;
  sealedSecret: string | null;
  timeoutMs: number;
  /** Store Secondary Capture key images with each result, for viewers that cannot show a SEG. */
  keyImages: boolean;
  /** When an admin disabled it (ISO 8601), or null while enabled. */
  disabledAt: string | null;
  /** The PACS's DICOM AE title: the calling AE it pushes to us with, and the called AE of our C-STORE SCU. */
  dicomAeTitle: string | null;
  dicomHost: string | null;
  dicomPort: number | null;
  /** How results (SEG, SR) go back: STOW-RS to baseUrl, or C-STORE to dicomHost:dicomPort. */
  resultTransport: ResultTransport;
  createdAt: string;
  updatedAt: string;
}

export type PacsEndpointFields = Omit<PacsEndpointRecord, 'id' | 'createdAt' | 'updatedAt'>;

interface Row {
  id: string;
  name: string;
  base_url: string;
  auth_type: PacsEndpointRecord['authType'];
  username: string | null;
  sealed_secret: string | null;
  timeout_ms: number;
  key_images: number;
  disabled_at: string | null;
  dicom_ae_title: string | null;
  dicom_host: string | null;
  dicom_port: number | null;
  result_transport: ResultTransport;
  created_at: string;
  updated_at: string;
}

const toRecord = (row: Row): PacsEndpointRecord => ({
  id: row.id,
  name: row.name,
  // Migration 1 made base_url NOT NULL; a DIMSE-only PACS stores ''.
  baseUrl: row.base_url === '' ? null : row.base_url,
  authType: row.auth_type,
  username: row.username,
  sealedSecret: row.sealed_secret,
  timeoutMs: row.timeout_ms,
  keyImages: row.key_images === 1,
  disabledAt: row.disabled_at,
  dicomAeTitle: row.dicom_ae_title,
  dicomHost: row.dicom_host,
  dicomPort: row.dicom_port,
  resultTransport: row.result_transport,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

@Injectable()
export class PacsEndpointRepository {
  constructor(private readonly db: SqlDatabase) {}

  async list(): Promise<PacsEndpointRecord[]> {
    return (await this.db.all<Row>('SELECT * FROM pacs_endpoints ORDER BY created_at, name')).map(toRecord);
  }

  /** @param tx the transaction to read in, when the caller holds one. */
  async get(id: string, tx: SqlExecutor = this.db): Promise<PacsEndpointRecord | undefined> {
    const row = await tx.one<Row>('SELECT * FROM pacs_endpoints WHERE id = ?', [id]);
    return row && toRecord(row);
  }

  /** The endpoint whose PACS uses this AE title (unique), i.e. who may push to our C-STORE SCP with it. */
  async getByDicomAeTitle(aeTitle: string): Promise<PacsEndpointRecord | undefined> {
    const row = await this.db.one<Row>('SELECT * FROM pacs_endpoints WHERE dicom_ae_title = ?', [aeTitle]);
    return row && toRecord(row);
  }

  async getByName(name: string): Promise<PacsEndpointRecord | undefined> {
    const row = await this.db.one<Row>('SELECT * FROM pacs_endpoints WHERE name = ?', [name]);
    return row && toRecord(row);
  }

  async create(fields: PacsEndpointFields): Promise<PacsEndpointRecord> {
    const now = new Date().toISOString();
    const row = await this.db.one<Row>(
      `INSERT INTO pacs_endpoints (id, name, base_url, auth_type, username, sealed_secret, timeout_ms, disabled_at, dicom_ae_title, dicom_host, dicom_port, result_transport, key_images, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      [randomUUID(), ...columnValues(fields), now, now],
    );
    return toRecord(row!);
  }

  async update(id: string, fields: PacsEndpointFields): Promise<PacsEndpointRecord> {
    const row = await this.db.one<Row>(
      `UPDATE pacs_endpoints SET name = ?, base_url = ?, auth_type = ?, username = ?, sealed_secret = ?, timeout_ms = ?, disabled_at = ?,
         dicom_ae_title = ?, dicom_host = ?, dicom_port = ?, result_transport = ?, key_images = ?, updated_at = ?
       WHERE id = ? RETURNING *`,
      [...columnValues(fields), new Date().toISOString(), id],
    );
    return toRecord(row!);
  }

  /** Returns false when no such endpoint exists. */
  async delete(id: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM pacs_endpoints WHERE id = ?', [id])).changes > 0;
  }

  /** Whether any job refers to the endpoint (then it cannot be deleted: the job history would dangle). */
  async hasJobs(id: string): Promise<boolean> {
    return (await this.db.one('SELECT 1 AS one FROM jobs WHERE pacs_endpoint_id = ? LIMIT 1', [id])) !== undefined;
  }
}

/** The editable columns in the order both INSERT and UPDATE list them (name … key_images). */
function columnValues(fields: PacsEndpointFields): SqlValue[] {
  return [
    fields.name,
    fields.baseUrl ?? '',
    fields.authType,
    fields.username,
    fields.sealedSecret,
    fields.timeoutMs,
    fields.disabledAt,
    fields.dicomAeTitle,
    fields.dicomHost,
    fields.dicomPort,
    fields.resultTransport,
    fields.keyImages,
  ];
}
