import { describe, expect, it } from 'vitest';
import type { PacsEndpoint } from '../api/types';
import { endpointChoices } from './endpoint-choices';

const endpoint = (id: string, fields: Partial<PacsEndpoint> = {}): PacsEndpoint => ({
  id, name: `PACS ${id}`, baseUrl: `http://pacs-${id}.example/dicom-web`, authType: 'none', hasSecret: false, timeoutMs: 30_000,
  keyImages: false, enabled: true, resultTransport: 'stow', createdAt: '2026-12-02T00:00:00Z', updatedAt: '2026-12-02T00:00:00Z', ...fields,
});

describe('endpointChoices (the Studies page PACS picker)', () => {
  const off = endpoint('a', { enabled: false, disabledAt: '2026-12-01T10:00:00Z' });
  const dimse = endpoint('b', { baseUrl: null, dicomAeTitle: 'PACSB', dicomHost: '10.0.0.2', dicomPort: 104, resultTransport: 'c-store' });
  const web1 = endpoint('c');
  const web2 = endpoint('d');

  it('lists browsable endpoints first and greys out disabled and DIMSE-only ones with the reason', () => {
    const { choices } = endpointChoices([off, dimse, web1, web2], undefined);
    expect(choices).toEqual([
      { id: 'c', label: 'PACS c', browsable: true },
      { id: 'd', label: 'PACS d', browsable: true },
      { id: 'a', label: 'PACS a (disabled)', browsable: false },
      { id: 'b', label: 'PACS b (DIMSE only: nothing to browse)', browsable: false },
    ]);
  });

  it('keeps the remembered endpoint while it is browsable, and falls back to the first browsable one otherwise', () => {
    expect(endpointChoices([off, dimse, web1, web2], 'd').selected).toBe('d');
    expect(endpointChoices([off, dimse, web1, web2], 'a').selected).toBe('c');
    expect(endpointChoices([off, dimse, web1, web2], 'b').selected).toBe('c');
    expect(endpointChoices([off, dimse, web1, web2], 'gone').selected).toBe('c');
  });

  it('selects nothing when no endpoint can be browsed', () => {
    expect(endpointChoices([off, dimse], 'a')).toMatchObject({ selected: '' });
    expect(endpointChoices([], undefined)).toEqual({ choices: [], selected: '' });
  });
});
