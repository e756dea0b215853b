import { Inject, Injectable, Optional } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../core/repositories/config.repository';
import { RecentCache } from '../../core/services/recent-cache';
import { createHash, randomBytes } from 'node:crypto';
import { actorOf, Principal } from '../../core/principal';
import { TokenRepository, TokenRow } from '../repositories/token.repository';
import type { Role } from '../../core/config/trust.config';

/**
 * SHA-256 of a token, hex. Why no salt or slow KDF (bcrypt/argon2): our tokens are 256 random bits,
 * so there is no dictionary to precompute and brute force is 2^256 work either way; slow hashing
 * protects low-entropy human passwords, and would only add latency to every request. Never use this
 * for user-chosen secrets.
 */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** A new bearer token: 32 random bytes, base64url (43 characters). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

export interface IssuedToken {
  /** The bearer token itself; shown once, never stored or logged. */
  token: string;
  id: string;
  role: Role;
  label: string;
  expiresAt: string | null;
}

@Injectable()
export class TokenService {
  /**
   * Live tokens by hash (never by the token itself), trusted for AUTH_TOKEN_CACHE_MS: every request
   * authenticates, and a viewer's burst of requests would otherwise read the database once each.
   */
  private readonly recent: RecentCache<TokenRow>;

  constructor(@Inject(TokenRepository) private readonly tokens: TokenRepository, @Optional() @Inject(APP_CONFIG) config?: Pick<AppConfig, 'authTokenCacheMs'>) {
    this.recent = new RecentCache<TokenRow>(config?.authTokenCacheMs ?? 0);
  }

  /** Creates a token; `ttlSeconds` undefined means it lives until revoked. */
  async issue(role: Role, label: string, createdBy: Principal | 'bootstrap', ttlSeconds?: number, now = new Date()): Promise<IssuedToken> {
    const token = generateToken();
    const row = this.rowFor(token, role, label, createdBy, ttlSeconds, now);
    await this.tokens.insert({ ...row, tokenSha256: sha256Hex(token) });
    return { token, id: row.id, role, label, expiresAt: row.expiresAt };
  }

  /** Registers a token chosen elsewhere (the bootstrap env token); idempotent. True when newly added. */
  register(token: string, role: Role, label: string, now = new Date()): Promise<boolean> {
    return this.tokens.insertIfAbsent({ ...this.rowFor(token, role, label, 'bootstrap', undefined, now), tokenSha256: sha256Hex(token) });
  }

  /** The principal of a live token, or undefined. */
  async authenticate(token: string, now = new Date()): Promise<Principal | undefined> {
    const row = await this.recent.getOrLoad(
      sha256Hex(token),
      () => this.tokens.getActiveByHash(sha256Hex(token), now.toISOString()),
      // Never trusted past the token's own expiry.
      (found) => (found.expiresAt === null ? Number.POSITIVE_INFINITY : Date.parse(found.expiresAt) - now.getTime()),
    );
    // A cached row is re-checked against the clock the caller passed.
    if (!row || (row.expiresAt !== null && row.expiresAt <= now.toISOString())) return undefined;
    return { kind: 'token', role: row.role, subject: row.id, label: row.label };
  }

  async hasActiveAdmin(now = new Date()): Promise<boolean> {
    return (await this.tokens.countActiveAdmins(now.toISOString())) > 0;
  }

  list(): Promise<TokenRow[]> {
    return this.tokens.list();
  }

  async revoke(id: string, now = new Date()): Promise<boolean> {
    // Forgotten before and after the write: no request on this process accepts the token once revoke returns.
    this.recent.invalidate();
    const revoked = await this.tokens.revoke(id, now.toISOString());
    this.recent.invalidate();
    return revoked;
  }

  private rowFor(token: string, role: Role, label: string, createdBy: Principal | 'bootstrap', ttlSeconds: number | undefined, now: Date): TokenRow {
    return {
      // The id is derived from the hash, not the token, so it can be logged and shown without leaking it.
      id: sha256Hex(`id:${sha256Hex(token)}`).slice(0, 16),
      role,
      label,
      createdBy: createdBy === 'bootstrap' ? 'bootstrap' : actorOf(createdBy),
      createdAt: now.toISOString(),
      expiresAt: ttlSeconds === undefined ? null : new Date(now.getTime() + ttlSeconds * 1000).toISOString(),
    };
  }
}
