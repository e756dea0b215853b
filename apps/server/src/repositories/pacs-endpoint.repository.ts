import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DatabaseRepository } from './database.repository';

/** A stored PACS endpoint. `sealedSecret` is what SecretCipher.seal returned, never the plain secret. */
export interface PacsEndpointRecord {
  id: string;
  name: string;
  baseUrl: string;
  authType: 'none' | 'basic' | 'bearer';
  username: string | null;
  sealedSecret: string | null;
  timeoutMs: number;
  /** When an admin disabled it (ISO 8601), or null while enabled. */
  disabledAt: string | null;
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
  disabled_at: string | null;
  created_at: string;
  updated_at: string;
}

const toRecord = (row: Row): PacsEndpointRecord => ({
  id: row.id,
  name: row.name,
  baseUrl: row.base_url,
  authType: row.auth_type,
  username: row.username,
  sealedSecret: row.sealed_secret,
  timeoutMs: row.timeout_ms,
  disabledAt: row.disabled_at,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

@Injectable()
export class PacsEndpointRepository {
  constructor(private readonly database: DatabaseRepository) {}

  private get db() {
    return this.database.db;
  }

  list(): PacsEndpointRecord[] {
    return (this.db.prepare('SELECT * FROM pacs_endpoints ORDER BY created_at, name').all() as Row[]).map(toRecord);
  }

  get(id: string): PacsEndpointRecord | undefined {
    const row = this.db.prepare('SELECT * FROM pacs_endpoints WHERE id = ?').get(id) as Row | undefined;
    return row && toRecord(row);
  }

  getByName(name: string): PacsEndpointRecord | undefined {
    const row = this.db.prepare('SELECT * FROM pacs_endpoints WHERE name = ?').get(name) as Row | undefined;
    return row && toRecord(row);
  }

  create(fields: PacsEndpointFields): PacsEndpointRecord {
    const now = new Date().toISOString();
    const id = randomUUID();
    this.db
      .prepare(
        `INSERT INTO pacs_endpoints (id, name, base_url, auth_type, username, sealed_secret, timeout_ms, disabled_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, fields.name, fields.baseUrl, fields.authType, fields.username, fields.sealedSecret, fields.timeoutMs, fields.disabledAt, now, now);
    return this.get(id)!;
  }

  update(id: string, fields: PacsEndpointFields): PacsEndpointRecord {
    this.db
      .prepare(
        `UPDATE pacs_endpoints SET name = ?, base_url = ?, auth_type = ?, username = ?, sealed_secret = ?, timeout_ms = ?, disabled_at = ?, updated_at = ?
         WHERE id = ?`,
      )
      .run(fields.name, fields.baseUrl, fields.authType, fields.username, fields.sealedSecret, fields.timeoutMs, fields.disabledAt, new Date().toISOString(), id);
    return this.get(id)!;
  }

  /** Returns false when no such endpoint exists. */
  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM pacs_endpoints WHERE id = ?').run(id).changes > 0;
  }

  /** Whether any job refers to the endpoint (then it cannot be deleted: the job history would dangle). */
  hasJobs(id: string): boolean {
    return this.db.prepare('SELECT 1 FROM jobs WHERE pacs_endpoint_id = ? LIMIT 1').get(id) !== undefined;
  }
}
