import { api } from '../api/covseg-api';
import { getPreferredEndpoint, setPreferredEndpoint } from '../state/preferences';
import { h } from './dom';
import { endpointChoices } from './endpoint-choices';
import { showError } from './toast';

/**
 * A select of the configured PACS endpoints (names only; the server never sends secrets). Disabled and
 * DIMSE-only endpoints are listed but cannot be chosen (endpointChoices). Remembers the last choice.
 */
export async function endpointPicker(onChange: (id: string) => void): Promise<{ element: HTMLSelectElement; value: () => string }> {
  const select = h('select', { name: 'endpointId', 'aria-label': 'PACS endpoint', 'data-testid': 'endpoint-select' });
  try {
    const endpoints = await api.endpoints();
    const { choices, selected } = endpointChoices(endpoints, getPreferredEndpoint());
    if (!selected) {
      const why = endpoints.length === 0 ? 'No PACS endpoint configured' : 'No PACS endpoint to browse';
      select.appendChild(h('option', { value: '', disabled: true, selected: true }, why));
    }
    for (const choice of choices) select.appendChild(h('option', { value: choice.id, disabled: !choice.browsable }, choice.label));
    select.value = selected;
  } catch (error) {
    showError(error, 'Listing PACS endpoints');
  }
  select.addEventListener('change', () => {
    setPreferredEndpoint(select.value);
    onChange(select.value);
  });
  return { element: select, value: () => select.value };
}
