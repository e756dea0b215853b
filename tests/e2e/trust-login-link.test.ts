import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server';
import { launchChromium } from './support/viewer-stack';

describe('a one-time login link opened in a real browser', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('stores a user session token in localStorage and lands on the link target, and works only once', async () => {
    const { url } = await server.json<{ url: string }>('/api/auth/login-links', { method: 'POST', body: JSON.stringify({ role: 'user', next: '/#/studies' }) });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForURL((u) => u.hash === '#/studies', { timeout: 30_000 });
    const token = await page.evaluate(() => localStorage.getItem('covseg.token'));
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const me = await (await fetch(`${server.baseUrl}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(me).toMatchObject({ kind: 'token', role: 'user' });

    const again = await context.newPage();
    await again.goto(url);
    // This browser is signed in now: the page asks before a link may replace the session (login fixation).
    await again.locator('#replace').click();
    await again.waitForFunction(() => document.getElementById('status')?.textContent?.includes('already used'), undefined, { timeout: 30_000 });
    // The code is taken out of the address bar before it is used.
    expect(new URL(again.url()).search).toBe('');
    // A refused link leaves the session the browser already has alone.
    expect(await again.evaluate(() => localStorage.getItem('covseg.token'))).toBe(token);
  });
});
