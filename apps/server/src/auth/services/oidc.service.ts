import { Inject, Injectable, Logger } from '@nestjs/common';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { Principal } from '../../core/principal';
import { OidcConfig, TRUST_CONFIG, TrustConfig, type Role } from '../../core/config/trust.config';

/** True when the string has the shape of a compact JWS (three base64url parts); bearer tokens do not. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

/** Reads a dotted claim path (`realm_access.roles`) as a list of strings. */
export function claimValues(payload: JWTPayload, path: string): string[] {
  let value: unknown = payload;
  for (const part of path.split('.')) {
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  }
  if (typeof value === 'string') return value.split(' ');
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The strongest role the claim grants, or undefined when it grants none. */
export function roleFromClaims(payload: JWTPayload, config: OidcConfig): Role | undefined {
  const values = claimValues(payload, config.roleClaim);
  if (values.some((v) => config.adminValues.includes(v))) return 'admin';
  if (values.some((v) => config.reviewerValues.includes(v))) return 'reviewer';
  if (values.some((v) => config.userValues.includes(v))) return 'user';
  return undefined;
}

/**
 * Optional OIDC: validates JWTs from one configured issuer against its JWKS (signature, `iss`, `exp`,
 * `nbf`, and `aud` when configured) and maps a claim to a role. The key set is fetched lazily and
 * cached by jose, which refetches on an unknown `kid` (key rotation) at most every 30 s.
 */
@Injectable()
export class OidcService {
  private readonly logger = new Logger(OidcService.name);
  private readonly jwks?: ReturnType<typeof createRemoteJWKSet>;

  constructor(@Inject(TRUST_CONFIG) private readonly config: TrustConfig) {
    if (config.oidc) this.jwks = createRemoteJWKSet(new URL(config.oidc.jwksUrl), { timeoutDuration: 5000 });
  }

  get enabled(): boolean {
    return this.jwks !== undefined;
  }

  /** The principal of a valid JWT that grants a role; undefined for any invalid or role-less token. */
  async authenticate(jwt: string): Promise<Principal | undefined> {
    const oidc = this.config.oidc;
    if (!oidc || !this.jwks) return undefined;
    try {
      const { payload } = await jwtVerify(jwt, this.jwks, {
        issuer: oidc.issuer,
        audience: oidc.audience,
        // Asymmetric algorithms only: accepting HS256 would let anyone who knows a public key forge tokens.
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
      });
      const role = roleFromClaims(payload, oidc);
      if (!role || typeof payload.sub !== 'string') {
        this.logger.warn(`Rejected an OIDC token without a granted role or subject (sub ${String(payload.sub)})`);
        return undefined;
      }
      return { kind: 'oidc', role, subject: payload.sub };
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) {
        // The code (ERR_JWT_EXPIRED, ERR_JWS_SIGNATURE_VERIFICATION_FAILED, ...) says why, without the token.
        this.logger.warn(`Rejected an OIDC token: ${error.code}`);
        return undefined;
      }
      throw error;
    }
  }
}
