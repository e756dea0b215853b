import { Inject, Injectable } from '@nestjs/common';
import type { Role } from '../../core/config/trust.config';
import { DatabaseRepository } from '../../core/repositories/database.repository';

export interface TokenRow {
  id: string;
  role: Role;
  label: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
}

interface DbTokenRow {
  id: string;
  role: Role;
  label: string;
  created_by: string;
  created_at: string;
  expires_at: string | null;
}

const toRow = (r: DbTokenRow): TokenRow => ({
  id: r.id,
  role: r.role,
  label: r.label,
  createdBy: r.created_by,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

/** Bearer tokens, stored only as SHA-256 hashes (see TokenService for why a plain hash suffices). */
@Injectable()
export class TokenRepository {
  private readonly db: DatabaseRepository['db'];

  constructor(@Inject(DatabaseRepository) database: DatabaseRepository) {
    this.db = database.db;
  }

  insert(row: TokenRow & { tokenSha256: string }): void {
    this.db
      .prepare('INSERT INTO auth_tokens (id, token_sha256, role, label, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(row.id, row.tokenSha256, row.role, row.label, row.createdBy, row.createdAt, row.expiresAt);
  }

  /** Inserts unless a token with that hash exists; true when inserted. */
  insertIfAbsent(row: TokenRow & { tokenSha256: string }): boolean {
    const result = this.db
      .prepare(
        'INSERT INTO auth_tokens (id, token_sha256, role, label, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(token_sha256) DO NOTHING',
      )
      .run(row.id, row.tokenSha256, row.role, row.label, row.createdBy, row.createdAt, row.expiresAt);
    return result.changes === 1;
  }

  /** The live (unrevoked, unexpired at `now`) token with that hash, if any. */
  getActiveByHash(tokenSha256: string, now: string): TokenRow | undefined {
    const row = this.db
      .prepare('SELECT * FROM auth_tokens WHERE token_sha256 = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)')
      .get(tokenSha256, now) as DbTokenRow | undefined;
    return row && toRow(row);
  }

  countActiveAdmins(now: string): number {
    const row = this.db
      .prepare("SELECT COUNT(*) AS n FROM auth_tokens WHERE role = 'admin' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)")
      .get(now) as { n: number };
    return row.n;
  }

  list(): TokenRow[] {
    return (this.db.prepare('SELECT * FROM auth_tokens WHERE revoked_at IS NULL ORDER BY created_at').all() as DbTokenRow[]).map(toRow);
  }

  /** True when a live token was revoked. */
  revoke(id: string, now: string): boolean {
    return this.db.prepare('UPDATE auth_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id).changes === 1;
  }
}
