import { Inject, Injectable } from '@nestjs/common';
import type { Role } from '../../core/config/trust.config';
import { SqlDatabase } from '../../core/database/sql-database';

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
  constructor(@Inject(SqlDatabase) private readonly db: SqlDatabase) {}

  async insert(row: TokenRow & { tokenSha256: string }): Promise<void> {
    await this.db.run('INSERT INTO auth_tokens (id, token_sha256, role, label, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      row.id,
      row.tokenSha256,
      row.role,
      row.label,
      row.createdBy,
      row.createdAt,
      row.expiresAt,
    ]);
  }

  /** Inserts unless a token with that hash exists; true when inserted. */
  async insertIfAbsent(row: TokenRow & { tokenSha256: string }): Promise<boolean> {
    const result = await this.db.run(
      'INSERT INTO auth_tokens (id, token_sha256, role, label, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(token_sha256) DO NOTHING',
      [row.id, row.tokenSha256, row.role, row.label, row.createdBy, row.createdAt, row.expiresAt],
    );
    return result.changes === 1;
  }

  /** The live (unrevoked, unexpired at `now`) token with that hash, if any. */
  async getActiveByHash(tokenSha256: string, now: string): Promise<TokenRow | undefined> {
    const row = await this.db.one<DbTokenRow>('SELECT * FROM auth_tokens WHERE token_sha256 = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)', [tokenSha256, now]);
    return row && toRow(row);
  }

  async countActiveAdmins(now: string): Promise<number> {
    const row = await this.db.one<{ n: number }>("SELECT COUNT(*) AS n FROM auth_tokens WHERE role = 'admin' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)", [now]);
    return row!.n;
  }

  async list(): Promise<TokenRow[]> {
    return (await this.db.all<DbTokenRow>('SELECT * FROM auth_tokens WHERE revoked_at IS NULL ORDER BY created_at')).map(toRow);
  }

  /** True when a live token was revoked. */
  async revoke(id: string, now: string): Promise<boolean> {
    return (await this.db.run('UPDATE auth_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [now, id])).changes === 1;
  }
}
