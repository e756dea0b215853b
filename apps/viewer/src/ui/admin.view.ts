import { api } from '../api/covseg-api';
import type { AuthType, PacsEndpoint, PacsEndpointInput } from '../api/types';
import { session } from '../state/session';
import { h, type Teardown } from './dom';
import { showError, showInfo } from './toast';

/** PACS endpoints: list, add, edit, remove, test. Admins only; the secret is write-only. */
export async function adminView(container: HTMLElement): Promise<Teardown> {
  await session.known;
  if (!session.isAdmin()) {
    container.append(h('section', { class: 'page' }, h('h1', {}, 'PACS endpoints'), h('p', { class: 'error', 'data-testid': 'admins-only' }, 'Admins only.')));
    return () => undefined;
  }
  const list = h('tbody', {});
  const formHost = h('div', {});
  const checks = h('div', { 'data-testid': 'connection-checks' });
  container.append(
    h('section', { class: 'page' }, h('h1', {}, 'PACS endpoints'),
      h('table', { class: 'grid', 'data-testid': 'endpoint-table' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Base URL'), h('th', {}, 'Auth'), h('th', {}, 'Timeout'), h('th', {}, ''))), list),
      h('button', { type: 'button', 'data-testid': 'add-endpoint', onclick: () => showForm(undefined) }, 'Add endpoint'),
      formHost, checks),
  );

  async function refresh(): Promise<void> {
    try {
      const endpoints = await api.endpoints();
      list.replaceChildren(...endpoints.map(row));
    } catch (error) {
      showError(error, 'Listing PACS endpoints');
    }
  }

  function row(endpoint: PacsEndpoint): HTMLElement {
    return h(
      'tr',
      { 'data-endpoint': endpoint.id },
      h('td', {}, endpoint.name),
      h('td', { class: 'uid' }, endpoint.baseUrl),
      h('td', {}, endpoint.authType + (endpoint.username ? ` (${endpoint.username})` : '')),
      h('td', {}, `${endpoint.timeoutMs} ms`),
      h('td', { class: 'actions' },
        h('button', { type: 'button', onclick: () => void test(endpoint) }, 'Test connection'),
        h('button', { type: 'button', onclick: () => showForm(endpoint) }, 'Edit'),
        h('button', { type: 'button', class: 'danger', onclick: () => void remove(endpoint) }, 'Remove')),
    );
  }

  async function test(endpoint: PacsEndpoint): Promise<void> {
    checks.replaceChildren(h('p', { class: 'muted' }, `Testing ${endpoint.name}…`));
    try {
      const result = await api.testEndpoint(endpoint.id);
      const services = [['QIDO-RS', result.qido], ['WADO-RS', result.wado], ['STOW-RS', result.stow]] as const;
      checks.replaceChildren(
        h('h3', {}, `Connection test: ${endpoint.name}`),
        h('ul', { class: 'checks' }, ...services.map(([name, c]) => h('li', { class: c.ok ? 'ok' : 'error', 'data-service': name }, `${c.ok ? '✔' : '✘'} ${name}${c.status ? ` (HTTP ${c.status})` : ''} ${c.latencyMs} ms${c.error ? `: ${c.error}` : ''}`))),
      );
    } catch (error) {
      checks.replaceChildren();
      showError(error, `Testing ${endpoint.name}`);
    }
  }

  async function remove(endpoint: PacsEndpoint): Promise<void> {
    if (!window.confirm(`Remove the PACS endpoint ${endpoint.name}?`)) return;
    try {
      await api.deleteEndpoint(endpoint.id);
      showInfo(`Removed ${endpoint.name}`);
      await refresh();
    } catch (error) {
      showError(error, `Removing ${endpoint.name}`);
    }
  }

  function showForm(endpoint: PacsEndpoint | undefined): void {
    const field = (name: string, label: string, attrs: Record<string, string | number | boolean | undefined>) => h('label', {}, label, h('input', { name, ...attrs }));
    const auth = h('select', { name: 'authType' }, ...(['none', 'basic', 'bearer'] as const).map((t) => h('option', { value: t, selected: endpoint?.authType === t }, t)));
    const form = h(
      'form',
      { class: 'endpoint-form', 'data-testid': 'endpoint-form', onsubmit: (e: Event) => (e.preventDefault(), void save()) },
      h('h3', {}, endpoint ? `Edit ${endpoint.name}` : 'Add endpoint'),
      field('name', 'Name', { required: true, value: endpoint?.name }),
      field('baseUrl', 'DICOMweb base URL', { required: true, type: 'url', value: endpoint?.baseUrl, placeholder: 'https://pacs.example/dicom-web' }),
      h('label', {}, 'Auth', auth),
      field('username', 'Username (basic)', { value: endpoint?.username ?? undefined, autocomplete: 'off' }),
      // Write-only: the server never sends the secret back, so the field starts empty; empty means "keep".
      field('secret', endpoint ? 'Password / token (leave empty to keep)' : 'Password / token', { type: 'password', autocomplete: 'new-password' }),
      field('timeoutMs', 'Timeout (ms)', { type: 'number', min: 100, max: 600000, value: endpoint?.timeoutMs ?? 30000, required: true }),
      h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Save'), h('button', { type: 'button', onclick: () => formHost.replaceChildren() }, 'Cancel')),
    );
    formHost.replaceChildren(form);

    async function save(): Promise<void> {
      const data = new FormData(form);
      const value = (k: string) => String(data.get(k) ?? '').trim();
      const input: PacsEndpointInput = { name: value('name'), baseUrl: value('baseUrl'), authType: value('authType') as AuthType, timeoutMs: Number(value('timeoutMs')) };
      if (value('username')) input.username = value('username');
      if (value('secret')) input.secret = value('secret');
      try {
        if (endpoint) await api.updateEndpoint(endpoint.id, input);
        else await api.createEndpoint(input);
        showInfo(`Saved ${input.name}`);
        formHost.replaceChildren();
        await refresh();
      } catch (error) {
        showError(error, `Saving ${input.name}`);
      }
    }
  }

  const unsubscribe = session.subscribe(() => {
    if (!session.isAdmin()) location.hash = '#/studies';
  });
  await refresh();
  return unsubscribe;
}
