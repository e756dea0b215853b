import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeriesFactory } from '../factories/series.factory';
import { startViewerStack, viewerUrl, waitForFirstImage, type ViewerStack } from './support/viewer-stack';

/** Issue #10 in the browser: the CSP holds without breaking the viewer, no framing, no login fixation. */
describe('browser protections of the served viewer', () => {
  let stack: ViewerStack;
  const series = SeriesFactory.ct().size(64, 64).slices(8).build();

  beforeAll(async () => {
    stack = await startViewerStack((orthanc) => orthanc.upload(series.files));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('runs every view under the CSP without a violation, and reports one when something breaks it', async () => {
    const { page, errors } = await stack.newPage();
    await page.goto(viewerUrl(stack.server, series.studyInstanceUID, series.seriesInstanceUID));
    await waitForFirstImage(page);
    for (const view of ['studies', 'jobs', 'upload', 'admin']) {
      await page.goto(`${stack.server.baseUrl}/#/${view}`);
      await page.waitForLoadState('networkidle');
    }
    await page.keyboard.press('?');
    expect(errors).toEqual([]);
    // The collector is live: an inline script (what an XSS would inject) is blocked and reported.
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__injected = true';
      document.body.appendChild(script);
    });
    await expect.poll(() => errors.join('\n')).toMatch(/CSP violation: script-src/);
    expect(await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected)).toBeUndefined();
  });

  it('cannot be framed by another page (frame-ancestors none)', async () => {
    const { page } = await stack.newPage();
    await page.setContent(`<iframe id="f" src="${stack.server.baseUrl}/#/admin" width="400" height="300"></iframe>`);
    await page.waitForTimeout(1500);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    const inner = frame ? await frame.evaluate(() => document.getElementById('app') !== null).catch(() => false) : false;
    expect(inner).toBe(false);
  });

  it('asks before a login link replaces the session the viewer already has, and keeps it when told to', async () => {
    // The victim's session is the test admin's (a valid token, so no login prompt covers the page).
    const { page } = await stack.newPage();
    const victim = stack.server.env.COVSEG_BOOTSTRAP_ADMIN_TOKEN;
    await page.goto(`${stack.server.baseUrl}/#/login?token=attacker-token`);
    await page.getByTestId('login-link-confirm').waitFor();
    expect(await page.evaluate(() => localStorage.getItem('covseg.token'))).toBe(victim);
    expect(page.url()).not.toContain('attacker-token');
    await page.getByTestId('login-link-keep').click();
    expect(await page.evaluate(() => localStorage.getItem('covseg.token'))).toBe(victim);
    expect(await page.getByTestId('login-link-confirm').count()).toBe(0);

    await page.goto(`${stack.server.baseUrl}/#/login?token=wanted-token`);
    await page.getByTestId('login-link-replace').click();
    expect(await page.evaluate(() => localStorage.getItem('covseg.token'))).toBe('wanted-token');
  });

  it('takes a login link silently only in a browser without a session', async () => {
    const { page } = await stack.newPage({ token: null });
    await page.goto(`${stack.server.baseUrl}/#/login?token=first-token`);
    await page.waitForURL((u) => u.hash === '#/studies');
    expect(await page.evaluate(() => localStorage.getItem('covseg.token'))).toBe('first-token');
    expect(await page.getByTestId('login-link-confirm').count()).toBe(0);
  });

  it("asks on the server's /login page too, and leaves the code unused when the user keeps their session", async () => {
    const { url } = await stack.server.json<{ url: string }>('/api/auth/login-links', { method: 'POST', body: JSON.stringify({ role: 'user', next: '/#/studies' }) });
    const { page, errors } = await stack.newPage({ token: 'session-of-the-victim' });
    await page.goto(url);
    await page.locator('#choice:not([hidden])').waitFor();
    await page.locator('#keep').click();
    await page.waitForURL((u) => u.pathname === '/' && !u.search.includes('code'));
    expect(await page.evaluate(() => localStorage.getItem('covseg.token'))).toBe('session-of-the-victim');
    // The code was not redeemed: a browser without a session can still use it.
    const { page: fresh } = await stack.newPage({ token: null });
    await fresh.goto(url);
    await fresh.waitForURL((u) => u.hash === '#/studies', { timeout: 30_000 });
    expect(await fresh.evaluate(() => localStorage.getItem('covseg.token'))).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(errors).toEqual([]);
  });
});
