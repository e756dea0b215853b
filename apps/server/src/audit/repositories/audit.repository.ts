import { Inject, Injectable } from '@nestjs/common';
import { SqlDatabase } from '../../core/database/sql-database';

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
}

/** Append-only audit trail: there is deliberately no update or delete here. */
@Injectable()
export class AuditRepository {
  constructor(@Inject(SqlDatabase) private readonly db: SqlDatabase) {}

  async append(entry: Omit<AuditEntry, 'id'>): Promise<void> {
    await this.db.run('INSERT INTO audit_log (at, actor, action, target, details) VALUES (?, ?, ?, ?, ?)', [entry.at, entry.actor, entry.action, entry.target, JSON.stringify(entry.details)]);
  }

  /** Newest first; `beforeId` pages backwards. */
  async list(limit: number, beforeId?: number): Promise<AuditEntry[]> {
    const rows = await this.db.all<Omit<AuditEntry, 'details'> & { details: string }>('SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?', [
      beforeId ?? Number.MAX_SAFE_INTEGER,
      limit,
    ]);
    return rows.map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }));
  }
}
