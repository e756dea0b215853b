import { describe, expect, it, vi } from 'vitest';
import { LoginLinkUnusableError } from '../../core/errors';
import type { Principal } from '../../core/principal';
import { LoginLinkRepository, LoginLinkRow } from '../repositories/login-link.repository';
import type { TrustConfig } from '../../core/config/trust.config';
import { AuditService } from '../../audit/services/audit.service';
import { LoginLinkService } from './login-link.service';
import { sha256Hex, TokenService } from './token.service';

const admin: Principal = { kind: 'token', role: 'admin', subject: 'a1' };
const config: TrustConfig = { dataDir: '/tmp', sessionTtlSeconds: 3600 };

function setup(overrides: Partial<TrustConfig> = {}) {
  const stored: LoginLinkRow[] = [];
  const links = {
    insert: vi.fn((row: LoginLinkRow) => stored.push(row)),
    consume: vi.fn((hash: string, now: string) => {
      const i = stored.findIndex((r) => r.codeSha256 === hash && r.expiresAt > now);
      return i < 0 ? undefined : stored.splice(i, 1)[0];
    }),
  } as unknown as LoginLinkRepository;
  const tokens = { issue: vi.fn(() => ({ token: 'session-token', id: 'id1', role: 'user', label: 'l', expiresAt: '2030-01-01T00:00:00.000Z' })) } as unknown as TokenService;
  const audit = { record: vi.fn() } as unknown as AuditService;
  return { service: new LoginLinkService({ ...config, ...overrides }, links, tokens, audit), stored, tokens, audit };
}

describe('LoginLinkService', () => {
  it('stores only the hash of the code and builds the URL on the configured public origin', async () => {
    const { service, stored } = setup({ publicUrl: 'https://covseg.example' });
    const link = await service.create({ role: 'user', next: '/#/viewer?study=1.2' }, admin, 'http://ignored');
    const code = new URL(link.url).searchParams.get('code')!;
    expect(link.url.startsWith('https://covseg.example/login?code=')).toBe(true);
    expect(stored[0].codeSha256).toBe(sha256Hex(code));
    expect(JSON.stringify(stored)).not.toContain(code);
  });

  it('redeems a code once for a session token of the link role with the configured lifetime', async () => {
    const { service, tokens } = setup();
    const link = await service.create({ role: 'user', next: '/x' }, admin, 'http://127.0.0.1:3000');
    const code = new URL(link.url).searchParams.get('code')!;
    expect(await service.redeem(code)).toMatchObject({ token: 'session-token', next: '/x' });
    expect(tokens.issue).toHaveBeenCalledWith('user', expect.any(String), expect.anything(), 3600, expect.any(Date));
    await expect(service.redeem(code)).rejects.toThrow(LoginLinkUnusableError);
  });

  it('refuses an expired code', async () => {
    const { service } = setup();
    const created = new Date('2026-01-01T00:00:00Z');
    const link = await service.create({ role: 'user', ttlSeconds: 60 }, admin, 'http://h', created);
    const code = new URL(link.url).searchParams.get('code')!;
    await expect(service.redeem(code, new Date('2026-01-01T00:01:01Z'))).rejects.toThrow(LoginLinkUnusableError);
  });
});
