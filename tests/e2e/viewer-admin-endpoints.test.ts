import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lidcSlicePaths } from '../support/lidc-fixture';
import { freePort } from '../support/orthanc';
import { poll } from './support/poll';
import { artifactsDir, startViewerStack, type ViewerStack } from './support/viewer-stack';

/** GET /api/pacs-endpoints row, as the server sends it. */
interface StoredEndpoint {
  id: string;
  name: string;
  baseUrl: string | null;
  authType: string;
  username?: string;
  hasSecret: boolean;
  timeoutMs: number;
  keyImages: boolean;
  enabled: boolean;
  dicomAeTitle?: string;
  dicomHost?: string;
  dicomPort?: number;
  resultTransport: string;
}

type FormFields = Partial<Record<'name' | 'baseUrl' | 'username' | 'secret' | 'timeoutMs' | 'dicomAeTitle' | 'dicomHost' | 'dicomPort', string>> & {
  authType?: string;
  resultTransport?: string;
  keyImages?: boolean;
};

/**
 * The admin page's PACS endpoint form against the real server and a real Orthanc, whose DICOM port answers
 * C-ECHO (Orthanc answers C-ECHO from any AE by default; our server calls it as DICOM_AE_TITLE, COVSEG).
 */
describe('PACS endpoint administration: DICOMweb, DIMSE, key images, enabling', () => {
  let stack: ViewerStack;

  beforeAll(async () => {
    // One CT slice, so that the WADO-RS probe has a study to ask for (an empty PACS gets "not probed").
    stack = await startViewerStack((orthanc) => orthanc.upload([lidcSlicePaths()[0]!]));
  });

  afterAll(async () => {
    await stack?.stop();
  });

  async function openAdmin(): Promise<{ page: Page; errors: string[]; endpointWrites: string[] }> {
    const { page, errors } = await stack.newPage();
    page.setDefaultTimeout(15_000);
    // Every POST/PATCH of an endpoint the page sends (the connection test is POST …/test and not counted).
    const endpointWrites: string[] = [];
    page.on('request', (request) => {
      if (/\/api\/pacs-endpoints(\/[^/]+)?$/.test(new URL(request.url()).pathname) && ['POST', 'PATCH'].includes(request.method())) {
        endpointWrites.push(`${request.method()} ${request.postData() ?? ''}`);
      }
    });
    await page.goto(`${stack.server.baseUrl}/#/admin`);
    await page.getByTestId('endpoint-table').waitFor();
    return { page, errors, endpointWrites };
  }

  async function fill(page: Page, fields: FormFields): Promise<void> {
    const form = page.getByTestId('endpoint-form');
    for (const [name, value] of Object.entries(fields)) {
      if (name === 'keyImages') await form.locator('input[name=keyImages]').setChecked(value as boolean);
      else if (name === 'authType' || name === 'resultTransport') await form.locator(`select[name=${name}]`).selectOption(value as string);
      else await form.locator(`input[name=${name}]`).fill(value as string);
    }
  }

  const endpoints = () => stack.server.json<StoredEndpoint[]>('/api/pacs-endpoints');
  const endpointNamed = async (name: string) => (await endpoints()).find((e) => e.name === name);
  const rowOf = (page: Page, name: string) => page.locator('[data-testid=endpoint-table] tbody tr', { hasText: name });
  const check = (page: Page, service: string) => page.locator(`[data-testid=connection-checks] li[data-service="${service}"]`);
  const create = (body: Record<string, unknown>) => stack.server.json<StoredEndpoint>('/api/pacs-endpoints', { method: 'POST', body: JSON.stringify(body) });

  it('adds an endpoint with DICOMweb, DIMSE and key images from the form, stores every field, and C-ECHOes the real Orthanc', async () => {
    const secret = `token-${Date.now()}-never-shown`;
    const { page, errors } = await openAdmin();
    await page.getByTestId('add-endpoint').click();
    await fill(page, {
      name: 'Full PACS',
      baseUrl: stack.orthanc.dicomwebUrl,
      authType: 'bearer',
      secret,
      timeoutMs: '5000',
      dicomAeTitle: stack.orthanc.aeTitle,
      dicomHost: '127.0.0.1',
      dicomPort: String(stack.orthanc.dicomPort),
      resultTransport: 'c-store',
      keyImages: true,
    });
    await page.getByTestId('endpoint-form').locator('button[type=submit]').click();
    const row = rowOf(page, 'Full PACS');
    await row.waitFor();

    expect(await endpointNamed('Full PACS')).toMatchObject({
      baseUrl: stack.orthanc.dicomwebUrl,
      authType: 'bearer',
      hasSecret: true,
      timeoutMs: 5000,
      keyImages: true,
      enabled: true,
      dicomAeTitle: 'ORTHANC',
      dicomHost: '127.0.0.1',
      dicomPort: stack.orthanc.dicomPort,
      resultTransport: 'c-store',
    });
    const text = await row.textContent();
    expect(text).toContain(`ORTHANC@127.0.0.1:${stack.orthanc.dicomPort}`);
    expect(text).toContain('C-STORE');
    expect(text).toContain('key images');
    expect(text).toContain('secret stored');
    expect(await row.getAttribute('data-enabled')).toBe('true');

    const answer = page.waitForResponse((r) => r.url().endsWith('/test'));
    await row.getByRole('button', { name: 'Test connection' }).click();
    expect((await answer).status()).toBe(200);
    await check(page, 'C-ECHO').waitFor();
    expect(await check(page, 'C-ECHO').getAttribute('data-state')).toBe('ok');
    expect(await check(page, 'C-ECHO').textContent()).toMatch(new RegExp(`^✔ C-ECHO ORTHANC@127\\.0\\.0\\.1:${stack.orthanc.dicomPort} \\d+ ms$`));
    for (const service of ['QIDO-RS', 'WADO-RS', 'STOW-RS']) expect(await check(page, service).getAttribute('data-state')).toBe('ok');
    await page.screenshot({ path: join(artifactsDir, 'admin-endpoint-dimse.png'), fullPage: true });
    expect(await page.content()).not.toContain(secret);
    expect(errors).toEqual([]);
  });

  it('shows a failed C-ECHO, with the reason, for a DICOM port where no PACS listens', async () => {
    const closedPort = await freePort();
    const { page, errors } = await openAdmin();
    await page.getByTestId('add-endpoint').click();
    await fill(page, { name: 'Wrong port', baseUrl: stack.orthanc.dicomwebUrl, timeoutMs: '3000', dicomAeTitle: 'NOBODY', dicomHost: '127.0.0.1', dicomPort: String(closedPort) });
    await page.getByTestId('endpoint-form').locator('button[type=submit]').click();
    const row = rowOf(page, 'Wrong port');
    await row.waitFor();
    const answer = page.waitForResponse((r) => r.url().endsWith('/test'));
    await row.getByRole('button', { name: 'Test connection' }).click();
    const result = (await (await answer).json()) as { echo?: { ok: boolean; error?: string } };
    expect(result.echo?.ok).toBe(false);
    await check(page, 'C-ECHO').waitFor();
    expect(await check(page, 'C-ECHO').getAttribute('data-state')).toBe('failed');
    const shown = (await check(page, 'C-ECHO').textContent())!;
    expect(shown).toMatch(new RegExp(`^✘ C-ECHO NOBODY@127\\.0\\.0\\.1:${closedPort} \\d+ ms: `));
    expect(shown).toContain(result.echo!.error!);
    // DICOMweb is still fine: only the DIMSE check failed.
    for (const service of ['QIDO-RS', 'WADO-RS', 'STOW-RS']) expect(await check(page, service).getAttribute('data-state')).toBe('ok');
    expect(errors).toEqual([]);
  });

  it('adds a DIMSE-only endpoint (no base URL) from the form, after saying what an endpoint needs', async () => {
    const { page, errors, endpointWrites } = await openAdmin();
    await page.getByTestId('add-endpoint').click();
    await fill(page, { name: 'DIMSE only' });
    await page.getByTestId('endpoint-form').locator('button[type=submit]').click();
    await poll(() => page.getByTestId('form-error').textContent()).toContain('Give a DICOMweb base URL, a DICOM AE title (DIMSE), or both');
    await fill(page, { dicomAeTitle: 'MODALITY9', dicomHost: '127.0.0.1', dicomPort: String(stack.orthanc.dicomPort) });
    await page.getByTestId('endpoint-form').locator('button[type=submit]').click();
    await poll(() => page.getByTestId('form-error').textContent()).toContain('choose C-STORE for a DIMSE-only PACS');
    expect(endpointWrites).toEqual([]);
    await fill(page, { resultTransport: 'c-store' });
    await page.getByTestId('endpoint-form').locator('button[type=submit]').click();
    const row = rowOf(page, 'DIMSE only');
    await row.waitFor();
    expect(endpointWrites).toHaveLength(1);
    expect(await endpointNamed('DIMSE only')).toMatchObject({ baseUrl: null, dicomAeTitle: 'MODALITY9', dicomHost: '127.0.0.1', dicomPort: stack.orthanc.dicomPort, resultTransport: 'c-store' });
    expect(await row.textContent()).toContain('DIMSE only');

    await row.getByRole('button', { name: 'Test connection' }).click();
    await check(page, 'C-ECHO').waitFor();
    expect(await check(page, 'C-ECHO').getAttribute('data-state')).toBe('ok');
    for (const service of ['QIDO-RS', 'WADO-RS', 'STOW-RS']) {
      expect(await check(page, service).getAttribute('data-state')).toBe('skipped');
      expect(await check(page, service).textContent()).toContain('not probed: the endpoint has no DICOMweb base URL');
    }
    await page.screenshot({ path: join(artifactsDir, 'admin-endpoint-dimse-only.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('clears the DIMSE fields on edit while the stored secret is kept and never sent back', async () => {
    const secret = `pw-${Date.now()}-kept`;
    const created = await create({
      name: 'Edit me',
      baseUrl: stack.orthanc.dicomwebUrl,
      authType: 'basic',
      username: 'reader',
      secret,
      dicomAeTitle: 'EDITME',
      dicomHost: '127.0.0.1',
      dicomPort: stack.orthanc.dicomPort,
    });
    const { page, errors, endpointWrites } = await openAdmin();
    await rowOf(page, 'Edit me').getByRole('button', { name: 'Edit' }).click();
    const form = page.getByTestId('endpoint-form');
    expect(await form.locator('input[name=dicomAeTitle]').inputValue()).toBe('EDITME');
    expect(await form.locator('input[name=dicomPort]').inputValue()).toBe(String(stack.orthanc.dicomPort));
    expect(await form.locator('input[name=secret]').inputValue()).toBe('');
    expect(await form.textContent()).toContain('a password / token is stored');
    await fill(page, { dicomAeTitle: '', dicomHost: '', dicomPort: '' });
    const saved = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await form.locator('button[type=submit]').click();
    expect((await saved).status()).toBe(200);
    await page.getByTestId('endpoint-form').waitFor({ state: 'detached' });

    expect(endpointWrites).toHaveLength(1);
    const body = JSON.parse(endpointWrites[0]!.replace(/^PATCH /, '')) as Record<string, unknown>;
    expect(body).toMatchObject({ dicomAeTitle: null, dicomHost: null, dicomPort: null });
    expect(body).not.toHaveProperty('secret');
    const stored = await stack.server.json<StoredEndpoint>(`/api/pacs-endpoints/${created.id}`);
    expect(stored).not.toHaveProperty('dicomAeTitle');
    expect(stored).not.toHaveProperty('dicomHost');
    expect(stored).not.toHaveProperty('dicomPort');
    expect(stored).toMatchObject({ authType: 'basic', username: 'reader', hasSecret: true });
    expect(await rowOf(page, 'Edit me').textContent()).toContain('secret stored');
    expect(await page.content()).not.toContain(secret);
    expect(errors).toEqual([]);
  });

  it('says what a change of auth type does to the stored secret, and asks for the new one when switching bearer to basic', async () => {
    const created = await create({ name: 'Switch auth', baseUrl: stack.orthanc.dicomwebUrl, authType: 'bearer', secret: 'tok-switch' });
    const { page, errors, endpointWrites } = await openAdmin();
    await rowOf(page, 'Switch auth').getByRole('button', { name: 'Edit' }).click();
    const form = page.getByTestId('endpoint-form');
    const notice = form.getByTestId('secret-notice');
    expect(await notice.isVisible()).toBe(false);
    await fill(page, { authType: 'none' });
    expect(await notice.textContent()).toBe('Saving with auth none deletes the stored password / token.');
    expect(await notice.isVisible()).toBe(true);
    await fill(page, { authType: 'basic', username: 'reader' });
    expect(await notice.textContent()).toBe('Saving with basic auth needs the new password: the stored token is not kept.');
    await form.locator('button[type=submit]').click();
    await poll(() => page.getByTestId('form-error').textContent()).toContain('Switching to basic auth needs the password (the stored token is not a password)');
    expect(endpointWrites).toEqual([]);
    await fill(page, { secret: 'pw-switch' });
    const saved = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await form.locator('button[type=submit]').click();
    expect((await saved).status()).toBe(200);
    await page.getByTestId('endpoint-form').waitFor({ state: 'detached' });
    expect(await stack.server.json<StoredEndpoint>(`/api/pacs-endpoints/${created.id}`)).toMatchObject({ authType: 'basic', username: 'reader', hasSecret: true });
    // Back to the same type as stored: no notice.
    await rowOf(page, 'Switch auth').getByRole('button', { name: 'Edit' }).click();
    await fill(page, { authType: 'none' });
    await fill(page, { authType: 'basic' });
    expect(await page.getByTestId('secret-notice').isVisible()).toBe(false);
    expect(errors).toEqual([]);
  });

  it('turns a DICOMweb endpoint DIMSE-only on edit by emptying its base URL', async () => {
    const created = await create({ name: 'Going DIMSE', baseUrl: stack.orthanc.dicomwebUrl, dicomAeTitle: 'GOINGDIMSE', dicomHost: '127.0.0.1', dicomPort: stack.orthanc.dicomPort });
    const { page, errors } = await openAdmin();
    await rowOf(page, 'Going DIMSE').getByRole('button', { name: 'Edit' }).click();
    await fill(page, { baseUrl: '', resultTransport: 'c-store' });
    const saved = page.waitForResponse((r) => r.request().method() === 'PATCH');
    await page.getByTestId('endpoint-form').locator('button[type=submit]').click();
    expect((await saved).status()).toBe(200);
    expect(await stack.server.json<StoredEndpoint>(`/api/pacs-endpoints/${created.id}`)).toMatchObject({ baseUrl: null, resultTransport: 'c-store', dicomAeTitle: 'GOINGDIMSE' });
    await poll(() => rowOf(page, 'Going DIMSE').textContent()).toContain('none (DIMSE only)');
    expect(errors).toEqual([]);
  });

  it('disables and enables an endpoint from the page, marks it while disabled, and the Studies picker never picks it then', async () => {
    const created = await create({ name: 'Toggle me', baseUrl: stack.orthanc.dicomwebUrl });
    const { page, errors } = await openAdmin();
    const row = page.locator(`[data-testid=endpoint-table] tr[data-endpoint="${created.id}"]`);
    await row.getByRole('button', { name: 'Disable' }).click();
    await poll(async () => (await stack.server.json<StoredEndpoint>(`/api/pacs-endpoints/${created.id}`)).enabled).toBe(false);
    await poll(() => row.getAttribute('data-enabled')).toBe('false');
    expect(await row.textContent()).toMatch(/disabled since \d{4}-\d{2}-\d{2}/);
    expect(await row.getAttribute('class')).toContain('disabled');
    await page.screenshot({ path: join(artifactsDir, 'admin-endpoint-disabled.png'), fullPage: true });
    // The Studies page lists it greyed out and never picks it, even when it was the last one browsed.
    const studies = await stack.newPage();
    await studies.page.goto(`${stack.server.baseUrl}/#/studies`);
    await studies.page.evaluate((id) => localStorage.setItem('covseg.endpointId', id), created.id);
    await studies.page.reload();
    const option = studies.page.locator(`[data-testid=endpoint-select] option[value="${created.id}"]`);
    await poll(() => option.textContent()).toBe('Toggle me (disabled)');
    expect(await option.isDisabled()).toBe(true);
    const picked = await studies.page.getByTestId('endpoint-select').inputValue();
    expect(picked).not.toBe(created.id);
    expect(picked).not.toBe('');
    await row.getByRole('button', { name: 'Enable' }).click();
    await poll(async () => (await stack.server.json<StoredEndpoint>(`/api/pacs-endpoints/${created.id}`)).enabled).toBe(true);
    await poll(() => row.getAttribute('data-enabled')).toBe('true');
    await row.getByRole('button', { name: 'Disable' }).waitFor();
    // (Searching with the fallback remembered the fallback; remember this one again.)
    await studies.page.evaluate((id) => localStorage.setItem('covseg.endpointId', id), created.id);
    await studies.page.reload();
    await poll(() => option.textContent()).toBe('Toggle me');
    expect(await option.isDisabled()).toBe(false);
    expect(await studies.page.getByTestId('endpoint-select').inputValue()).toBe(created.id);
    expect([...errors, ...studies.errors]).toEqual([]);
  });

  it('refuses an invalid AE title and port with a visible message and saves nothing', async () => {
    const before = await endpoints();
    const { page, errors, endpointWrites } = await openAdmin();
    await page.getByTestId('add-endpoint').click();
    await fill(page, { name: 'Invalid DIMSE', baseUrl: stack.orthanc.dicomwebUrl, dicomAeTitle: 'BAD\\AE', dicomHost: '127.0.0.1', dicomPort: '70000' });
    await page.getByTestId('endpoint-form').locator('button[type=submit]').click();
    const message = page.getByTestId('form-error');
    await poll(() => message.textContent()).toContain('DICOM AE title must be 1 to 16 printable ASCII characters without a backslash');
    expect(await message.textContent()).toContain('DICOM port must be a whole number from 1 to 65535');
    expect(await message.isVisible()).toBe(true);
    await fill(page, { dicomAeTitle: 'SEVENTEEN-CHARS-X', dicomPort: '0' });
    await page.getByTestId('endpoint-form').locator('button[type=submit]').click();
    await poll(() => message.textContent()).toContain('DICOM port must be a whole number from 1 to 65535');
    expect(await message.textContent()).toContain('DICOM AE title must be');
    await page.screenshot({ path: join(artifactsDir, 'admin-endpoint-invalid.png'), fullPage: true });

    // Editing refuses the same way: no PATCH goes out.
    await page.getByTestId('endpoint-form').getByRole('button', { name: 'Cancel' }).click();
    await rowOf(page, 'test-pacs').getByRole('button', { name: 'Edit' }).click();
    await fill(page, { dicomAeTitle: 'BAD\\AE' });
    await page.getByTestId('endpoint-form').locator('button[type=submit]').click();
    await poll(() => page.getByTestId('form-error').textContent()).toContain('DICOM AE title must be');
    expect(endpointWrites).toEqual([]);
    expect(await endpoints()).toEqual(before);
    expect(errors).toEqual([]);
  });

  it("shows the server's refusal in the form when only the server can tell (base URL policy, AE title in use)", async () => {
    await create({ name: 'AE owner', baseUrl: stack.orthanc.dicomwebUrl, dicomAeTitle: 'TAKEN' });
    const before = await endpoints();
    const { page, errors, endpointWrites } = await openAdmin();
    await page.getByTestId('add-endpoint').click();
    await fill(page, { name: 'Refused', baseUrl: `http://user:pw@127.0.0.1:${stack.orthanc.httpPort}/dicom-web` });
    await page.getByTestId('endpoint-form').locator('button[type=submit]').click();
    await poll(() => page.getByTestId('form-error').textContent()).toContain('it must not carry credentials');
    await fill(page, { baseUrl: stack.orthanc.dicomwebUrl, dicomAeTitle: 'TAKEN' });
    await page.getByTestId('endpoint-form').locator('button[type=submit]').click();
    await poll(() => page.getByTestId('form-error').textContent()).toContain('already uses DICOM AE title "TAKEN"');
    // Both reached the server (400, 409) and it stored nothing; the form is still open with what was typed.
    expect(endpointWrites).toHaveLength(2);
    expect(await endpoints()).toEqual(before);
    expect(await page.getByTestId('endpoint-form').locator('input[name=name]').inputValue()).toBe('Refused');
    expect(errors).toEqual([]);
  });
});
