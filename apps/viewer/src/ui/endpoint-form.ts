import { api } from '../api/covseg-api';
import { AUTH_TYPES, type PacsEndpoint } from '../api/types';
import { h } from './dom';
import { checkEndpointForm, secretNotice, type EndpointFormValues } from './endpoint-form-input';
import { showError } from './toast';

export interface EndpointFormEvents {
  saved(name: string): Promise<void>;
  cancelled(): void;
}

/**
 * The add/edit form of a PACS endpoint (`endpoint` undefined: add). Every field the API accepts; what the
 * form refuses (checkEndpointForm) or the server refuses (its 400/409 message) is listed in the form,
 * which stays open with what was typed. The secret field always starts empty: empty keeps the stored one.
 */
export function endpointForm(endpoint: PacsEndpoint | undefined, events: EndpointFormEvents): HTMLFormElement {
  const field = (name: string, label: string, attrs: Record<string, string | number | boolean | undefined>) => h('label', {}, label, h('input', { name, ...attrs }));
  const select = (name: string, label: string, options: Array<[string, string]>, selected: string) =>
    h('label', {}, label, h('select', { name }, ...options.map(([value, text]) => h('option', { value, selected: value === selected }, text))));
  const problems = h('div', { class: 'error form-error', role: 'alert', 'data-testid': 'form-error' });
  // Live: what the chosen auth type would do to a stored secret (deleted, or to be replaced).
  const notice = h('p', { class: 'form-notice', role: 'status', 'data-testid': 'secret-notice', hidden: true });
  const showNotice = (authType: string) => {
    const text = secretNotice(authType, endpoint);
    notice.textContent = text ?? '';
    notice.hidden = text === undefined;
  };
  const secretLabel = !endpoint
    ? 'Password / token'
    : endpoint.hasSecret
      ? 'Password / token (a password / token is stored; leave empty to keep it)'
      : 'Password / token (none stored)';
  const form = h(
    'form',
    // novalidate: the browser's own bubbles would name one field at a time; checkEndpointForm lists them all.
    { class: 'endpoint-form', 'data-testid': 'endpoint-form', novalidate: true, onsubmit: (e: Event) => (e.preventDefault(), void save()) },
    h('h3', {}, endpoint ? `Edit ${endpoint.name}` : 'Add endpoint'),
    field('name', 'Name', { required: true, value: endpoint?.name }),
    field('baseUrl', 'DICOMweb base URL (empty for a DIMSE-only PACS)', { type: 'url', value: endpoint?.baseUrl ?? undefined, placeholder: 'https://pacs.example/dicom-web' }),
    select('authType', 'Auth', AUTH_TYPES.map((t): [string, string] => [t, t]), endpoint?.authType ?? 'none'),
    notice,
    field('username', 'Username (basic)', { value: endpoint?.username, autocomplete: 'off' }),
    // Write-only: the server never sends the secret back, so the field starts empty; empty means "keep".
    field('secret', secretLabel, { type: 'password', autocomplete: 'new-password' }),
    field('timeoutMs', 'Timeout (ms)', { type: 'number', min: 100, max: 600000, value: endpoint?.timeoutMs ?? 30000, required: true }),
    field('dicomAeTitle', 'DICOM AE title', { value: endpoint?.dicomAeTitle, placeholder: 'PACS1', autocomplete: 'off' }),
    field('dicomHost', 'DICOM host', { value: endpoint?.dicomHost, placeholder: '10.0.0.5', autocomplete: 'off' }),
    field('dicomPort', 'DICOM port', { type: 'number', min: 1, max: 65535, value: endpoint?.dicomPort, placeholder: '104' }),
    select('resultTransport', 'Results go back by', [['stow', 'STOW-RS (DICOMweb)'], ['c-store', 'C-STORE (DIMSE)']], endpoint?.resultTransport ?? 'stow'),
    h('label', { class: 'checkbox' }, h('input', { type: 'checkbox', name: 'keyImages', checked: endpoint?.keyImages ?? false }), 'Also store key images (Secondary Capture)'),
    problems,
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Save'), h('button', { type: 'button', onclick: () => events.cancelled() }, 'Cancel')),
  );

  form.querySelector('select[name="authType"]')!.addEventListener('change', (e) => showNotice((e.target as HTMLSelectElement).value));

  async function save(): Promise<void> {
    const data = new FormData(form);
    const text = (key: string) => String(data.get(key) ?? '');
    const values: EndpointFormValues = {
      name: text('name'),
      baseUrl: text('baseUrl'),
      authType: text('authType'),
      username: text('username'),
      secret: text('secret'),
      timeoutMs: text('timeoutMs'),
      keyImages: data.get('keyImages') !== null,
      dicomAeTitle: text('dicomAeTitle'),
      dicomHost: text('dicomHost'),
      dicomPort: text('dicomPort'),
      resultTransport: text('resultTransport'),
    };
    const check = checkEndpointForm(values, endpoint);
    if (!check.ok) {
      problems.replaceChildren(h('ul', {}, ...check.problems.map((problem) => h('li', {}, problem))));
      return;
    }
    problems.replaceChildren();
    try {
      if (endpoint) await api.updateEndpoint(endpoint.id, check.input);
      else await api.createEndpoint(check.input);
    } catch (error) {
      problems.replaceChildren(h('ul', {}, h('li', {}, error instanceof Error ? error.message : String(error))));
      showError(error, `Saving ${check.input.name}`);
      return;
    }
    await events.saved(check.input.name);
  }

  return form;
}
