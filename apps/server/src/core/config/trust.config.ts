import { readFileSync, statSync } from 'node:fs';
import { TrustConfigError } from '../errors';

/**
 * `admin` manages the server; `reviewer` (a radiologist) may also sign off AI results: save corrections,
 * accept and reject; `user` views and starts jobs. Each role includes the rights of the ones after it.
 */
export type Role = 'admin' | 'reviewer' | 'user';
export const ROLES: readonly Role[] = ['admin', 'reviewer', 'user'];

export interface OidcConfig {
  issuer: string;
  jwksUrl: string;
  /** Expected `aud`; undefined skips the audience check (only sensible for a dedicated issuer). */
  audience?: string;
  /** Claim holding the role(s); a dotted path reaches nested claims, e.g. `realm_access.roles`. */
  roleClaim: string;
  /** Claim values that grant `admin`, `reviewer`, respectively `user`. */
  adminValues: string[];
  reviewerValues: string[];
  userValues: string[];
}

export interface TrustConfig {
  /** Absolute folder of the server's state (the core config's DATA_DIR); `secret.key` lives here. */
  dataDir: string;
  bootstrapAdminToken?: string;
  /** AES-256 key (32 bytes) from `COVSEG_SECRET_KEY` or `COVSEG_SECRET_KEY_FILE`; undefined means "use or create DATA_DIR/secret.key". */
  secretKey?: Buffer;
  /** Origin put in front of login-link URLs, e.g. `http://127.0.0.1:3000`; undefined: the request's. */
  publicUrl?: string;
  /** Lifetime of a session token obtained through a login link, in seconds. */
  sessionTtlSeconds: number;
  oidc?: OidcConfig;
}

export const TRUST_CONFIG = Symbol('TRUST_CONFIG');

const list = (value: string | undefined, fallback: string[]): string[] =>
  value === undefined || value.trim() === '' ? fallback : value.split(',').map((v) => v.trim()).filter(Boolean);

function parseUrl(name: string, value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`protocol ${url.protocol}`);
    return value.replace(/\/+$/, '');
  } catch (cause) {
    throw new TrustConfigError(`${name} must be an http(s) URL`, { cause });
  }
}

/** The key file named by COVSEG_SECRET_KEY_FILE: 32 bytes as base64, readable by its owner only. */
function readSecretKeyFile(path: string): Buffer {
  let text: string;
  try {
    if ((statSync(path).mode & 0o077) !== 0) throw new TrustConfigError(`COVSEG_SECRET_KEY_FILE is readable by group or others: ${path}; run chmod 600 on it`);
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    if (cause instanceof TrustConfigError) throw cause;
    throw new TrustConfigError(`COVSEG_SECRET_KEY_FILE cannot be read: ${path}`, { cause });
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new TrustConfigError(`COVSEG_SECRET_KEY_FILE must hold 32 bytes encoded as base64 (use: openssl rand -base64 32 > ${path})`);
  return key;
}

/**
 * Reads and validates the trust settings once, at boot. Every failure names the variable, never its
 * value (the value may be a secret).
 */
export function loadTrustConfig(env: Record<string, string | undefined>, dataDir: string): TrustConfig {
  const bootstrapAdminToken = env.COVSEG_BOOTSTRAP_ADMIN_TOKEN || undefined;
  // A guessable bootstrap token would be an open door: demand at least 128 bits worth of characters.
  if (bootstrapAdminToken !== undefined && bootstrapAdminToken.length < 32) {
    throw new TrustConfigError('COVSEG_BOOTSTRAP_ADMIN_TOKEN must be at least 32 characters (use: openssl rand -base64 32)');
  }
  let secretKey: Buffer | undefined;
  if (env.COVSEG_SECRET_KEY) {
    secretKey = Buffer.from(env.COVSEG_SECRET_KEY, 'base64');
    if (secretKey.length !== 32) throw new TrustConfigError('COVSEG_SECRET_KEY must be 32 bytes encoded as base64 (use: openssl rand -base64 32)');
  } else if (env.COVSEG_SECRET_KEY_FILE) {
    secretKey = readSecretKeyFile(env.COVSEG_SECRET_KEY_FILE);
  }
  const sessionTtlSeconds = Number(env.COVSEG_SESSION_TTL_SECONDS ?? 12 * 3600);
  if (!Number.isInteger(sessionTtlSeconds) || sessionTtlSeconds < 60 || sessionTtlSeconds > 30 * 24 * 3600) {
    throw new TrustConfigError('COVSEG_SESSION_TTL_SECONDS must be an integer between 60 and 2592000');
  }
  const publicUrl = env.COVSEG_PUBLIC_URL ? parseUrl('COVSEG_PUBLIC_URL', env.COVSEG_PUBLIC_URL) : undefined;
  let oidc: OidcConfig | undefined;
  if (env.COVSEG_OIDC_ISSUER || env.COVSEG_OIDC_JWKS_URL) {
    if (!env.COVSEG_OIDC_ISSUER) throw new TrustConfigError('COVSEG_OIDC_ISSUER is required when COVSEG_OIDC_JWKS_URL is set');
    if (!env.COVSEG_OIDC_JWKS_URL) throw new TrustConfigError('COVSEG_OIDC_JWKS_URL is required when COVSEG_OIDC_ISSUER is set');
    oidc = {
      issuer: env.COVSEG_OIDC_ISSUER,
      jwksUrl: parseUrl('COVSEG_OIDC_JWKS_URL', env.COVSEG_OIDC_JWKS_URL),
      audience: env.COVSEG_OIDC_AUDIENCE || undefined,
      roleClaim: env.COVSEG_OIDC_ROLE_CLAIM || 'roles',
      adminValues: list(env.COVSEG_OIDC_ADMIN_VALUES, ['covseg-admin']),
      reviewerValues: list(env.COVSEG_OIDC_REVIEWER_VALUES, ['covseg-reviewer']),
      userValues: list(env.COVSEG_OIDC_USER_VALUES, ['covseg-user']),
    };
  }
  return { dataDir, bootstrapAdminToken, secretKey, publicUrl, sessionTtlSeconds, oidc };
}
