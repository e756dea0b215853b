import { BadRequestException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { hasRole } from '../../core/principal';
import { loadTrustConfig } from '../../core/config/trust.config';
import { redactSecrets } from '../../audit/services/audit.service';
import { requireSafeNextPath } from './login-link.service';
import { claimValues, looksLikeJwt, roleFromClaims } from './oidc.service';
import { generateToken, sha256Hex } from './token.service';

const oidc = { issuer: 'i', jwksUrl: 'http://x', roleClaim: 'realm_access.roles', adminValues: ['covseg-admin'], reviewerValues: ['covseg-reviewer'], userValues: ['covseg-user'] };

describe('trust rules', () => {
  it('generates 256-bit base64url tokens that differ each time', () => {
    const a = generateToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateToken()).not.toBe(a);
    expect(sha256Hex(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('redacts secret-like keys at any depth in audit details', () => {
    expect(redactSecrets({ name: 'pacs', secret: 's', nested: { password: 'p', url: 'u' }, authToken: 't' })).toEqual({
      name: 'pacs',
      secret: '[redacted]',
      nested: { password: '[redacted]', url: 'u' },
      authToken: '[redacted]',
    });
  });

  it('allows only same-origin paths after login', () => {
    expect(requireSafeNextPath('/?study=1.2.3')).toBe('/?study=1.2.3');
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example', 'javascript:alert(1)']) {
      expect(() => requireSafeNextPath(bad)).toThrow(BadRequestException);
    }
  });

  it('maps a nested OIDC role claim to the strongest granted role', () => {
    expect(claimValues({ realm_access: { roles: ['a', 'covseg-user'] } }, 'realm_access.roles')).toEqual(['a', 'covseg-user']);
    expect(roleFromClaims({ realm_access: { roles: ['covseg-user', 'covseg-admin'] } }, oidc)).toBe('admin');
    expect(roleFromClaims({ realm_access: { roles: ['covseg-user'] } }, oidc)).toBe('user');
    expect(roleFromClaims({ realm_access: { roles: ['covseg-user', 'covseg-reviewer'] } }, oidc)).toBe('reviewer');
    expect(roleFromClaims({ realm_access: { roles: ['other'] } }, oidc)).toBeUndefined();
    expect(roleFromClaims({}, oidc)).toBeUndefined();
  });

  it('ranks roles: admin includes reviewer, reviewer includes user, user includes neither', () => {
    const as = (role: 'admin' | 'reviewer' | 'user') => ({ kind: 'token' as const, role, subject: 'x' });
    expect(['admin', 'reviewer', 'user'].map((r) => hasRole(as('admin'), r as never))).toEqual([true, true, true]);
    expect(['admin', 'reviewer', 'user'].map((r) => hasRole(as('reviewer'), r as never))).toEqual([false, true, true]);
    expect(['admin', 'reviewer', 'user'].map((r) => hasRole(as('user'), r as never))).toEqual([false, false, true]);
  });

  it('tells JWTs from opaque bearer tokens', () => {
    expect(looksLikeJwt('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln')).toBe(true);
    expect(looksLikeJwt(generateToken())).toBe(false);
  });

  it('fails at boot naming the variable, never its value', () => {
    expect(() => loadTrustConfig({ COVSEG_SECRET_KEY: 'c2hvcnQ=' }, '/tmp')).toThrow(/COVSEG_SECRET_KEY must be 32 bytes/);
    expect(() => loadTrustConfig({ COVSEG_BOOTSTRAP_ADMIN_TOKEN: 'short-secret' }, '/tmp')).toThrow(/COVSEG_BOOTSTRAP_ADMIN_TOKEN/);
    expect(() => loadTrustConfig({ COVSEG_BOOTSTRAP_ADMIN_TOKEN: 'short-secret' }, '/tmp')).not.toThrow(/short-secret/);
    expect(() => loadTrustConfig({ COVSEG_OIDC_ISSUER: 'https://idp' }, '/tmp')).toThrow(/COVSEG_OIDC_JWKS_URL is required/);
  });
});
