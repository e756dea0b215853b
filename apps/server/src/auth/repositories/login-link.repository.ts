import { Inject, Injectable } from '@nestjs/common';
import type { Role } from '../../core/config/trust.config';
import { SqlDatabase } from '../../core/database/sql-database';

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
  constructor(@Inject(SqlDatabase) private readonly db: SqlDatabase) {}

  async insert(row: LoginLinkRow): Promise<void> {
    await this.db.run('INSERT INTO login_links (code_sha256, role, next, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)', [
      row.codeSha256,
      row.role,
      row.next,
      row.createdBy,
      row.createdAt,
      row.expiresAt,
    ]);
  }

  /**
   * Marks the code used and returns it, or undefined when it is unknown, used or expired. One UPDATE
   * with the conditions in its WHERE clause, so two concurrent redemptions (even from two processes)
   * cannot both succeed (never split this into a SELECT then an UPDATE).
   */
  async consume(codeSha256: string, now: string): Promise<LoginLinkRow | undefined> {
    const row = await this.db.one<{ code_sha256: string; role: Role; next: string; created_by: string; created_at: string; expires_at: string }>(
      'UPDATE login_links SET used_at = ? WHERE code_sha256 = ? AND used_at IS NULL AND expires_at > ? RETURNING *',
      [now, codeSha256, now],
    );
    if (!row) return undefined;
    return { codeSha256: row.code_sha256, role: row.role, next: row.next, createdBy: row.created_by, createdAt: row.created_at, expiresAt: row.expires_at };
  }
}
