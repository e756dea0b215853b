import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { describe, expect, it, vi } from 'vitest';
import { IS_PUBLIC_KEY, ROLES_KEY } from '../../core/decorators/auth.decorators';
import { AuthenticationRequiredError, InsufficientRoleError } from '../../core/errors';
import type { Principal } from '../../core/principal';
import { OidcService } from '../services/oidc.service';
import { TokenService } from '../services/token.service';
import { AuthGuard, bearerOf } from './auth.guard';

function contextFor(headers: Record<string, string>, meta: Record<string, unknown> = {}) {
  const request: { method: string; path: string; headers: Record<string, string>; principal?: Principal } = { method: 'GET', path: '/api/x', headers };
  const handler = () => undefined;
  for (const [key, value] of Object.entries(meta)) Reflect.defineMetadata(key, value, handler);
  const context = { getHandler: () => handler, getClass: () => class {}, switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
  return { context, request };
}

function guardWith(principal: Principal | undefined, oidc: { enabled: boolean; principal?: Principal } = { enabled: false }) {
  const tokens = { authenticate: vi.fn(() => principal) } as unknown as TokenService;
  const oidcService = { enabled: oidc.enabled, authenticate: vi.fn(async () => oidc.principal) } as unknown as OidcService;
  return { guard: new AuthGuard(new Reflector(), tokens, oidcService), tokens, oidcService };
}

const user: Principal = { kind: 'token', role: 'user', subject: 'u1' };
const admin: Principal = { kind: 'token', role: 'admin', subject: 'a1' };

describe('AuthGuard', () => {
  it('lets anyone through a @Public route without looking at tokens', async () => {
    const { guard, tokens } = guardWith(undefined);
    await expect(guard.canActivate(contextFor({}, { [IS_PUBLIC_KEY]: true }).context)).resolves.toBe(true);
    expect(tokens.authenticate).not.toHaveBeenCalled();
  });

  it('refuses a request without a bearer token', async () => {
    await expect(guardWith(user).guard.canActivate(contextFor({}).context)).rejects.toThrow(AuthenticationRequiredError);
  });

  it('refuses an unknown token without echoing it', async () => {
    const error = await guardWith(undefined).guard.canActivate(contextFor({ authorization: 'Bearer secret-value-123' }).context).catch((e: Error) => e);
    expect(error).toBeInstanceOf(AuthenticationRequiredError);
    expect((error as Error).message).not.toContain('secret-value-123');
  });

  it('puts the principal on the request for any authenticated caller', async () => {
    const { context, request } = contextFor({ authorization: 'Bearer t' });
    await expect(guardWith(user).guard.canActivate(context)).resolves.toBe(true);
    expect(request.principal).toEqual(user);
  });

  it('refuses a user on an admin route and lets an admin through', async () => {
    await expect(guardWith(user).guard.canActivate(contextFor({ authorization: 'Bearer t' }, { [ROLES_KEY]: ['admin'] }).context)).rejects.toThrow(InsufficientRoleError);
    await expect(guardWith(admin).guard.canActivate(contextFor({ authorization: 'Bearer t' }, { [ROLES_KEY]: ['admin'] }).context)).resolves.toBe(true);
  });

  it('sends JWT-shaped tokens to OIDC only when OIDC is configured', async () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln';
    const oidcPrincipal: Principal = { kind: 'oidc', role: 'user', subject: 'alice' };
    const withOidc = guardWith(undefined, { enabled: true, principal: oidcPrincipal });
    const { context, request } = contextFor({ authorization: `Bearer ${jwt}` });
    await withOidc.guard.canActivate(context);
    expect(request.principal).toEqual(oidcPrincipal);
    expect(withOidc.tokens.authenticate).not.toHaveBeenCalled();
    const withoutOidc = guardWith(user);
    await withoutOidc.guard.canActivate(contextFor({ authorization: `Bearer ${jwt}` }).context);
    expect(withoutOidc.oidcService.authenticate).not.toHaveBeenCalled();
  });

  it('reads only a well-formed Authorization: Bearer header', () => {
    expect(bearerOf({ headers: { authorization: 'Bearer abc' } })).toBe('abc');
    expect(bearerOf({ headers: { authorization: 'bearer   abc  ' } })).toBe('abc');
    expect(bearerOf({ headers: { authorization: 'Basic abc' } })).toBeUndefined();
    expect(bearerOf({ headers: { authorization: 'Bearer a b' } })).toBeUndefined();
    expect(bearerOf({ headers: {} })).toBeUndefined();
  });
});
