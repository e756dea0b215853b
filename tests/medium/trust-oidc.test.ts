import { createServer, Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/orthanc';
import { TestServer, startTestServer } from '../support/server';

const ISSUER = 'https://idp.test.local/realms/covseg';
const AUDIENCE = 'covseg-server';

describe('OIDC bearer tokens from a configured issuer', () => {
  let jwks: Server;
  let server: TestServer;
  let key: CryptoKey;
  let strangerKey: CryptoKey;
  let jwksRequests = 0;

  const sign = (claims: JWTPayload, options: { key?: CryptoKey; issuer?: string; expiresIn?: string; kid?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'k1' })
      .setIssuer(options.issuer ?? ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('alice-sub')
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '5m')
      .sign(options.key ?? key);
  const me = (token: string) => fetch(`${server.baseUrl}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    key = pair.privateKey;
    strangerKey = (await generateKeyPair('RS256')).privateKey;
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const port = await freePort();
    jwks = createServer((_req, res) => {
      jwksRequests += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((r) => jwks.listen(port, '127.0.0.1', () => r()));
    server = await startTestServer({
      env: {
        COVSEG_OIDC_ISSUER: ISSUER,
        COVSEG_OIDC_JWKS_URL: `http://127.0.0.1:${port}/certs`,
        COVSEG_OIDC_AUDIENCE: AUDIENCE,
        COVSEG_OIDC_ROLE_CLAIM: 'realm_access.roles',
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await new Promise((r) => jwks?.close(r));
  });

  it('maps the admin claim value to the admin role and the user value to user', async () => {
    expect(await (await me(await sign({ realm_access: { roles: ['covseg-admin'] } }))).json()).toEqual({ kind: 'oidc', role: 'admin', subject: 'alice-sub' });
    expect(await (await me(await sign({ realm_access: { roles: ['covseg-user'] } }))).json()).toMatchObject({ role: 'user' });
    expect(jwksRequests).toBeGreaterThan(0);
  });

  it('lets an OIDC admin use admin routes and refuses an OIDC user there', async () => {
    const admin = await sign({ realm_access: { roles: ['covseg-admin'] } });
    const user = await sign({ realm_access: { roles: ['covseg-user'] } });
    const audit = (token: string) => fetch(`${server.baseUrl}/api/audit`, { headers: { authorization: `Bearer ${token}` } });
    expect((await audit(admin)).status).toBe(200);
    expect((await audit(user)).status).toBe(403);
  });

  it('refuses a token without a granted role, from another issuer, expired, or signed by another key', async () => {
    expect((await me(await sign({ realm_access: { roles: ['viewer'] } }))).status).toBe(401);
    expect((await me(await sign({ realm_access: { roles: ['covseg-admin'] } }, { issuer: 'https://evil.example' }))).status).toBe(401);
    expect((await me(await sign({ realm_access: { roles: ['covseg-admin'] } }, { expiresIn: '-1m' }))).status).toBe(401);
    expect((await me(await sign({ realm_access: { roles: ['covseg-admin'] } }, { key: strangerKey }))).status).toBe(401);
  });

  it('refuses an HS256 token signed with the public key as shared secret (algorithm confusion)', async () => {
    const forged = await new SignJWT({ realm_access: { roles: ['covseg-admin'] } })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('mallory')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('public-key-material-used-as-hmac-secret'));
    expect((await me(forged)).status).toBe(401);
  });

  it('still accepts the opaque bootstrap token next to OIDC', async () => {
    expect((await server.request('/api/auth/me')).status).toBe(200);
  });
});
