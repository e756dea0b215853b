import { Inject, Injectable } from '@nestjs/common';
import { DatabaseRepository } from '../../core/repositories/database.repository';

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
  private readonly db: DatabaseRepository['db'];

  constructor(@Inject(DatabaseRepository) database: DatabaseRepository) {
    this.db = database.db;
  }

  append(entry: Omit<AuditEntry, 'id'>): void {
    this.db
      .prepare('INSERT INTO audit_log (at, actor, action, target, details) VALUES (?, ?, ?, ?, ?)')
      .run(entry.at, entry.actor, entry.action, entry.target, JSON.stringify(entry.details));
  }

  /** Newest first; `beforeId` pages backwards. */
  list(limit: number, beforeId?: number): AuditEntry[] {
    const rows = this.db
      .prepare('SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?')
      .all(beforeId ?? Number.MAX_SAFE_INTEGER, limit) as Array<Omit<AuditEntry, 'details'> & { details: string }>;
    return rows.map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }));
  }
}
