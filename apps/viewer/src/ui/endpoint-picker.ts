import { api } from '../api/covseg-api';
import { getPreferredEndpoint, setPreferredEndpoint } from '../state/preferences';
import { h } from './dom';
import { showError } from './toast';

/**
 * A select of the configured PACS endpoints (names only; the server never sends secrets).
 * Remembers the last choice.
 */
export async function endpointPicker(onChange: (id: string) => void): Promise<{ element: HTMLSelectElement; value: () => string }> {
  const select = h('select', { name: 'endpointId', 'aria-label': 'PACS endpoint', 'data-testid': 'endpoint-select' });
  try {
    const endpoints = await api.endpoints();
    for (const endpoint of endpoints) select.appendChild(h('option', { value: endpoint.id }, endpoint.name));
    const preferred = getPreferredEndpoint();
    if (preferred && endpoints.some((e) => e.id === preferred)) select.value = preferred;
    if (endpoints.length === 0) select.appendChild(h('option', { value: '', disabled: true }, 'No PACS endpoint configured'));
  } catch (error) {
    showError(error, 'Listing PACS endpoints');
  }
  select.addEventListener('change', () => {
    setPreferredEndpoint(select.value);
    onChange(select.value);
  });
  return { element: select, value: () => select.value };
}
