import { Inject, Injectable } from '@nestjs/common';
import type { Role } from '../../core/config/trust.config';
import { DatabaseRepository } from '../../core/repositories/database.repository';

export interface LoginLinkRow {
  codeSha256: string;
  role: Role;
  next: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
}

/** Single-use login codes, stored as SHA-256 hashes like tokens. */
@Injectable()
export class LoginLinkRepository {
  private readonly db: DatabaseRepository['db'];

  constructor(@Inject(DatabaseRepository) database: DatabaseRepository) {
    this.db = database.db;
  }

  insert(row: LoginLinkRow): void {
    this.db
      .prepare('INSERT INTO login_links (code_sha256, role, next, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(row.codeSha256, row.role, row.next, row.createdBy, row.createdAt, row.expiresAt);
  }

  /**
   * Marks the code used and returns it, or undefined when it is unknown, used or expired. One UPDATE
   * with the conditions in its WHERE clause, so two concurrent redemptions cannot both succeed
   * (never split this into a SELECT then an UPDATE).
   */
  consume(codeSha256: string, now: string): LoginLinkRow | undefined {
    const changed = this.db
      .prepare('UPDATE login_links SET used_at = ? WHERE code_sha256 = ? AND used_at IS NULL AND expires_at > ?')
      .run(now, codeSha256, now).changes;
    if (changed !== 1) return undefined;
    const row = this.db.prepare('SELECT * FROM login_links WHERE code_sha256 = ?').get(codeSha256) as {
      code_sha256: string;
      role: Role;
      next: string;
      created_by: string;
      created_at: string;
      expires_at: string;
    };
    return { codeSha256: row.code_sha256, role: row.role, next: row.next, createdBy: row.created_by, createdAt: row.created_at, expiresAt: row.expires_at };
  }
}
