import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { LoginLinkUnusableError } from '../../core/errors';
import { actorOf, Principal } from '../../core/principal';
import { LoginLinkRepository } from '../repositories/login-link.repository';
import { TRUST_CONFIG, TrustConfig, type Role } from '../../core/config/trust.config';
import { AuditService } from '../../audit/services/audit.service';
import { sha256Hex, TokenService } from './token.service';

export interface LoginLinkRequest {
  role: Role;
  /** Where the viewer goes after login: a same-origin path such as `/?study=1.2.3`. */
  next?: string;
  /** Lifetime of the code in seconds (default 600, at most 86400). */
  ttlSeconds?: number;
}

export interface LoginLink {
  /** Absolute URL of the login page, carrying the single-use code. */
  url: string;
  expiresAt: string;
}

export interface RedeemedLogin {
  token: string;
  role: Role;
  expiresAt: string;
  next: string;
}

/**
 * Refuses anything but a same-origin path: `//evil.example` and `/\evil.example` are protocol-relative
 * URLs to browsers, so a login link could otherwise bounce a fresh session to another site.
 */
export function requireSafeNextPath(next: string): string {
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || [...next].some((c) => c.charCodeAt(0) < 0x20)) {
    throw new BadRequestException('Creating a login link failed: next must be a same-origin path starting with a single /');
  }
  return next;
}

@Injectable()
export class LoginLinkService {
  constructor(
    @Inject(TRUST_CONFIG) private readonly config: TrustConfig,
    @Inject(LoginLinkRepository) private readonly links: LoginLinkRepository,
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  /**
   * Creates a one-time login URL. `origin` (e.g. `http://127.0.0.1:3000`) is used when
   * `COVSEG_PUBLIC_URL` is unset. The demo script calls this through `POST /api/auth/login-links`.
   */
  async create(request: LoginLinkRequest, createdBy: Principal, origin: string, now = new Date()): Promise<LoginLink> {
    const next = requireSafeNextPath(request.next ?? '/');
    const ttl = request.ttlSeconds ?? 600;
    const code = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + ttl * 1000).toISOString();
    await this.links.insert({ codeSha256: sha256Hex(code), role: request.role, next, createdBy: actorOf(createdBy), createdAt: now.toISOString(), expiresAt });
    await this.audit.record(actorOf(createdBy), 'login-link.create', `role:${request.role}`, { ttlSeconds: ttl, next }, now);
    const base = this.config.publicUrl ?? origin;
    return { url: `${base}/login?code=${encodeURIComponent(code)}`, expiresAt };
  }

  /** Exchanges a code for a session token, once. Throws `LoginLinkUnusableError` (410) otherwise. */
  async redeem(code: string, now = new Date()): Promise<RedeemedLogin> {
    const link = await this.links.consume(sha256Hex(code), now.toISOString());
    if (!link) throw new LoginLinkUnusableError('Redeeming a login link failed: the code is unknown, already used or expired');
    const issued = await this.tokens.issue(link.role, `session via login link from ${link.createdBy}`, { kind: 'system', role: link.role, subject: 'login-link' }, this.config.sessionTtlSeconds, now);
    await this.audit.record(`token:${issued.id}`, 'login-link.redeem', `role:${link.role}`, {}, now);
    return { token: issued.token, role: issued.role, expiresAt: issued.expiresAt as string, next: link.next };
  }
}
