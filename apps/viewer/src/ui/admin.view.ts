import { api } from '../api/covseg-api';
import type { ConnectionCheck, PacsEndpoint } from '../api/types';
import { session } from '../state/session';
import { h, type Teardown } from './dom';
import { endpointForm } from './endpoint-form';
import { showError, showInfo } from './toast';

/**
 * PACS endpoints: list, add, edit, test (DICOMweb services and C-ECHO), disable/enable, remove. Admins only;
 * the secret is write-only (the table and form show only whether one is stored).
 */
export async function adminView(container: HTMLElement): Promise<Teardown> {
  await session.known;
  if (!session.isAdmin()) {
    container.append(h('section', { class: 'page' }, h('h1', {}, 'PACS endpoints'), h('p', { class: 'error', 'data-testid': 'admins-only' }, 'Admins only.')));
    return () => undefined;
  }
  const list = h('tbody', {});
  const formHost = h('div', {});
  const checks = h('div', { 'data-testid': 'connection-checks' });
  const headings = ['Name', 'DICOMweb base URL', 'DICOM (DIMSE)', 'Auth', 'Results', 'Timeout', 'Status', ''];
  container.append(
    h('section', { class: 'page' }, h('h1', {}, 'PACS endpoints'),
      h('table', { class: 'grid', 'data-testid': 'endpoint-table' }, h('thead', {}, h('tr', {}, ...headings.map((text) => h('th', {}, text)))), list),
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
      { 'data-endpoint': endpoint.id, 'data-enabled': String(endpoint.enabled), class: endpoint.enabled ? undefined : 'disabled' },
      h('td', {}, endpoint.name),
      h('td', { class: 'uid' }, endpoint.baseUrl ?? h('span', { class: 'muted' }, 'none (DIMSE only)')),
      h('td', { class: 'uid' }, dimseTarget(endpoint) ?? h('span', { class: 'muted' }, endpoint.dicomAeTitle ? `${endpoint.dicomAeTitle} (pushes to us; no host and port)` : 'none')),
      h('td', {}, endpoint.authType + (endpoint.username ? ` (${endpoint.username})` : ''), ' ', endpoint.hasSecret && h('span', { class: 'badge' }, 'secret stored')),
      h('td', {}, endpoint.resultTransport === 'c-store' ? 'C-STORE' : 'STOW-RS', endpoint.keyImages ? ' + key images' : ''),
      h('td', {}, `${endpoint.timeoutMs} ms`),
      h('td', { class: 'status' }, endpoint.enabled
        ? h('span', { class: 'badge badge-succeeded' }, 'enabled')
        : h('span', { class: 'badge badge-failed', title: 'Keeps its job history; takes no new jobs' }, `disabled since ${(endpoint.disabledAt ?? '').slice(0, 16).replace('T', ' ')} UTC`)),
      h('td', { class: 'actions' },
        h('button', { type: 'button', onclick: () => void test(endpoint) }, 'Test connection'),
        h('button', { type: 'button', onclick: () => showForm(endpoint) }, 'Edit'),
        h('button', { type: 'button', onclick: () => void setEnabled(endpoint, !endpoint.enabled) }, endpoint.enabled ? 'Disable' : 'Enable'),
        h('button', { type: 'button', class: 'danger', onclick: () => void remove(endpoint) }, 'Remove')),
    );
  }

  async function test(endpoint: PacsEndpoint): Promise<void> {
    checks.replaceChildren(h('p', { class: 'muted' }, `Testing ${endpoint.name}…`));
    try {
      const result = await api.testEndpoint(endpoint.id);
      const web = [['QIDO-RS', result.qido], ['WADO-RS', result.wado], ['STOW-RS', result.stow]] as const;
      // A check the server did not run (no base URL; an empty PACS for WADO-RS) is "not probed", not a failure.
      const target = dimseTarget(endpoint);
      checks.replaceChildren(
        h('h3', {}, `Connection test: ${endpoint.name}`),
        h('ul', { class: 'checks' },
          ...web.map(([name, c]) => (c.skipped ? skipped(name, c.error ?? 'not probed') : checked(name, name, c))),
          result.echo && target ? checked('C-ECHO', `C-ECHO ${target}`, result.echo) : skipped('C-ECHO', 'not probed: the endpoint has no DICOM AE title, host and port')),
      );
    } catch (error) {
      checks.replaceChildren();
      showError(error, `Testing ${endpoint.name}`);
    }
  }

  async function setEnabled(endpoint: PacsEndpoint, enabled: boolean): Promise<void> {
    try {
      await api.updateEndpoint(endpoint.id, { enabled });
      showInfo(`${enabled ? 'Enabled' : 'Disabled'} ${endpoint.name}`);
      await refresh();
    } catch (error) {
      showError(error, `${enabled ? 'Enabling' : 'Disabling'} ${endpoint.name}`);
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
    formHost.replaceChildren(
      endpointForm(endpoint, {
        saved: async (name) => {
          showInfo(`Saved ${name}`);
          formHost.replaceChildren();
          await refresh();
        },
        cancelled: () => formHost.replaceChildren(),
      }),
    );
  }

  const unsubscribe = session.subscribe(() => {
    if (!session.isAdmin()) location.hash = '#/studies';
  });
  await refresh();
  return unsubscribe;
}

/** `AE@host:port` of the PACS's DICOM application entity, when it has all three (what C-ECHO and C-STORE call). */
function dimseTarget(endpoint: PacsEndpoint): string | undefined {
  const { dicomAeTitle, dicomHost, dicomPort } = endpoint;
  return dicomAeTitle && dicomHost && dicomPort ? `${dicomAeTitle}@${dicomHost}:${dicomPort}` : undefined;
}

function checked(service: string, label: string, c: ConnectionCheck): HTMLElement {
  const text = `${c.ok ? '✔' : '✘'} ${label}${c.status ? ` (HTTP ${c.status})` : ''} ${c.latencyMs} ms${c.error ? `: ${c.error}` : ''}`;
  return h('li', { class: c.ok ? 'ok' : 'error', 'data-service': service, 'data-state': c.ok ? 'ok' : 'failed' }, text);
}

function skipped(service: string, reason: string): HTMLElement {
  return h('li', { class: 'muted', 'data-service': service, 'data-state': 'skipped' }, `– ${service} ${reason}`);
}
