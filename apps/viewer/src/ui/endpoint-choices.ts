import type { PacsEndpoint } from '../api/types';

/** One option of the Studies page's PACS picker. */
export interface EndpointChoice {
  id: string;
  label: string;
  /** False for an endpoint the viewer cannot browse: disabled by an admin, or reached over DIMSE only. */
  browsable: boolean;
}

/**
 * The picker's options and its initial choice. Only an enabled endpoint with a DICOMweb base URL can be browsed
 * (the server refuses the others: 409); the rest are listed, greyed out with the reason, after the browsable ones.
 * The remembered choice wins when it is still browsable, else the first browsable endpoint; '' when there is none.
 */
export function endpointChoices(endpoints: readonly PacsEndpoint[], preferred: string | undefined): { choices: EndpointChoice[]; selected: string } {
  const choices = endpoints.map((endpoint): EndpointChoice => {
    if (!endpoint.enabled) return { id: endpoint.id, label: `${endpoint.name} (disabled)`, browsable: false };
    if (endpoint.baseUrl === null) return { id: endpoint.id, label: `${endpoint.name} (DIMSE only: nothing to browse)`, browsable: false };
    return { id: endpoint.id, label: endpoint.name, browsable: true };
  });
  const ordered = [...choices.filter((c) => c.browsable), ...choices.filter((c) => !c.browsable)];
  const selected = ordered.find((c) => c.browsable && c.id === preferred)?.id ?? ordered.find((c) => c.browsable)?.id ?? '';
  return { choices: ordered, selected };
}
