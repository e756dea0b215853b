import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDicom } from '@covseg/dicom';
import { lidcSlicePaths } from '../support/lidc-fixture';
import { artifactsDir, startViewerStack, type ViewerStack } from './support/viewer-stack';
import { poll } from './support/poll';

/** A LIDC slice through both lungs (CC BY 3.0, tests/fixtures/ct/lidc-idri-0001). */
const slicePath = () => lidcSlicePaths()[60]!;

/** The slice as an 8-bit lung-window PNG (W1500 L-600), as the prototype's users uploaded them. */
async function lungWindowPng(): Promise<string> {
  const instance = parseDicom(new Uint8Array(readFileSync(slicePath())));
  const stored = await instance.decodeFrame(0);
  const { rows, columns } = instance.pixel!;
  const slope = Number(instance.dataset.RescaleSlope ?? 1);
  const intercept = Number(instance.dataset.RescaleIntercept ?? 0);
  const grey = new Uint8Array(rows * columns);
  for (let i = 0; i < rows * columns; i++) {
    const hu = stored[i]! * slope + intercept;
    grey[i] = Math.max(0, Math.min(255, Math.round(((hu + 1350) / 1500) * 255)));
  }
  const path = join(tmpdir(), `covseg-e2e-slice-${process.pid}.png`);
  writeFileSync(path, await sharp(grey, { raw: { width: columns, height: rows, channels: 1 } }).png().toBuffer());
  return path;
}

async function maskPixels(dataUrl: string): Promise<number> {
  const { data, info } = await sharp(Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64')).raw().toBuffer({ resolveWithObject: true });
  let count = 0;
  for (let i = 0; i < data.length; i += info.channels) if (data[i]! >= 128) count++;
  return count;
}

describe('slice upload and PACS endpoint administration in the browser', () => {
  let stack: ViewerStack;

  beforeAll(async () => {
    stack = await startViewerStack(async () => undefined);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it.each([
    ['a lung-window PNG', lungWindowPng],
    ['a single-frame DICOM slice', async () => slicePath()],
  ])('shows the image, its mask overlay and the infected fraction for %s', async (_what, file) => {
    const { page, errors } = await stack.newPage();
    await page.goto(`${stack.server.baseUrl}/#/upload`);
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/segment-image'));
    await page.getByTestId('upload-input').setInputFiles(await file());
    const response = await answer;
    expect(response.status()).toBe(200);
    const body = (await response.json()) as { width: number; height: number; infectedFraction: number; maskPng: string };
    await page.getByTestId('upload-canvas').waitFor();
    const painted = Number(await page.getByTestId('upload-canvas').getAttribute('data-overlay-pixels'));
    expect(painted).toBe(await maskPixels(body.maskPng));
    expect(painted).toBe(Math.round(body.infectedFraction * body.width * body.height));
    expect(await page.getByTestId('infected-fraction').textContent()).toContain(`${(body.infectedFraction * 100).toFixed(2)} %`);
    // Both downloads are PNGs: the composed overlay and the server's mask.
    expect(await page.getByRole('link', { name: 'Download overlay PNG' }).getAttribute('href')).toMatch(/^data:image\/png;base64,/);
    expect(await page.getByRole('link', { name: 'Download mask PNG' }).getAttribute('href')).toBe(body.maskPng);
    await page.screenshot({ path: join(artifactsDir, `upload-${body.width}x${body.height}-${_what.includes('PNG') ? 'png' : 'dicom'}.png`) });
    expect(errors).toEqual([]);
  });

  it('explains why a text file is refused, and keeps working for the next upload', async () => {
    const { page, errors } = await stack.newPage();
    await page.goto(`${stack.server.baseUrl}/#/upload`);
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/segment-image'));
    await page.getByTestId('upload-input').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image at all\n') });
    expect((await answer).status()).toBe(415);
    await poll(() => page.getByTestId('upload-status').textContent()).toMatch(/not PNG, JPEG, TIFF, WebP or DICOM/);
    expect(await page.locator('.toast-error').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(artifactsDir, 'upload-refused.png') });
    await page.getByTestId('upload-input').setInputFiles(slicePath());
    await page.getByTestId('upload-canvas').waitFor();
    expect(errors).toEqual([]);
  });

  it('adds a PACS endpoint that then appears in the list, and never shows its secret anywhere', async () => {
    const secret = `pw-${Date.now()}-never-shown`;
    const { page, errors } = await stack.newPage();
    const bodies: string[] = [];
    page.on('response', async (response) => {
      try {
        bodies.push(await response.text());
      } catch {
        // Redirects and aborted requests have no body.
      }
    });
    await page.goto(`${stack.server.baseUrl}/#/admin`);
    await page.getByTestId('endpoint-table').waitFor();
    await page.getByTestId('add-endpoint').click();
    const form = page.getByTestId('endpoint-form');
    await form.locator('input[name=name]').fill('Second PACS');
    await form.locator('input[name=baseUrl]').fill(stack.orthanc.dicomwebUrl);
    await form.locator('select[name=authType]').selectOption('basic');
    await form.locator('input[name=username]').fill('reader');
    await form.locator('input[name=secret]').fill(secret);
    await form.locator('button[type=submit]').click();
    const row = page.locator('[data-testid=endpoint-table] tr', { hasText: 'Second PACS' });
    await row.waitFor();
    expect(await row.textContent()).toContain('basic (reader)');
    await row.getByRole('button', { name: 'Test connection' }).click();
    await page.locator('[data-testid=connection-checks] li').first().waitFor();
    expect(await page.getByTestId('connection-checks').textContent()).toMatch(/QIDO-RS[\s\S]*WADO-RS[\s\S]*STOW-RS/);
    await row.getByRole('button', { name: 'Edit' }).click();
    expect(await page.getByTestId('endpoint-form').locator('input[name=secret]').inputValue()).toBe('');
    await page.screenshot({ path: join(artifactsDir, 'admin-endpoints.png') });
    await page.reload();
    await page.locator('[data-testid=endpoint-table] tr', { hasText: 'Second PACS' }).waitFor();
    expect(bodies.length).toBeGreaterThan(3);
    for (const body of bodies) expect(body).not.toContain(secret);
    expect(await page.content()).not.toContain(secret);
    // Remove it again (after the confirmation dialog).
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('[data-testid=endpoint-table] tr', { hasText: 'Second PACS' }).getByRole('button', { name: 'Remove' }).click();
    await page.locator('[data-testid=endpoint-table] tr', { hasText: 'Second PACS' }).waitFor({ state: 'detached' });
    expect((await stack.server.json<Array<{ name: string }>>('/api/pacs-endpoints')).map((e) => e.name)).toEqual(['test-pacs']);
    expect(errors).toEqual([]);
  });

  it('hides the admin page from a user token and says it is for admins only', async () => {
    const created = await stack.server.json<{ token: string }>('/api/auth/tokens', { method: 'POST', body: JSON.stringify({ role: 'user', label: 'e2e user' }) });
    const { page } = await stack.newPage({ token: created.token });
    await page.goto(`${stack.server.baseUrl}/#/studies`);
    await poll(() => page.locator('#whoami').textContent()).toBe('signed in as user');
    expect(await page.locator('#nav-admin').isHidden()).toBe(true);
    await page.goto(`${stack.server.baseUrl}/#/admin`);
    await page.getByTestId('admins-only').waitFor();
  });

  it('signs a fresh browser in through a one-time login link and lands on the page it names', async () => {
    const link = await stack.server.json<{ url: string }>('/api/auth/login-links', { method: 'POST', body: JSON.stringify({ role: 'user', next: '/#/jobs', ttlSeconds: 600 }) });
    const { page, errors } = await stack.newPage({ token: null });
    await page.goto(link.url);
    await page.getByTestId('jobs-table').waitFor();
    await poll(() => page.locator('#whoami').textContent()).toBe('signed in as user');
    expect(await page.getByTestId('login-prompt').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('asks for a token on 401 and continues once one is pasted', async () => {
    const { page } = await stack.newPage({ token: null });
    await page.goto(`${stack.server.baseUrl}/#/studies`);
    await page.getByTestId('login-prompt').waitFor();
    await page.screenshot({ path: join(artifactsDir, 'login-prompt.png') });
    await page.locator('#token-input').fill(stack.server.env.COVSEG_BOOTSTRAP_ADMIN_TOKEN!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('login-prompt').waitFor({ state: 'detached' });
    await poll(() => page.locator('#whoami').textContent()).toBe('signed in as admin');
    await page.getByTestId('study-count').filter({ hasText: /studies|study/ }).waitFor();
  });
});
