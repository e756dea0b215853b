import { describe, expect, it, vi } from 'vitest';
import { DimseScuRepository } from '../repositories/dimse-scu.repository';
import { PacsEndpointRecord, PacsEndpointRepository } from '../repositories/pacs-endpoint.repository';
import { PacsProbeService } from './pacs-probe.service';
import { PacsEndpointService } from './pacs-endpoint.service';
import { SecretCipher } from '../../core/services/secret-cipher';

/** A cipher whose sealed form is visibly different from the plain text. */
class ReversingCipher extends SecretCipher {
  seal(plain: string): string {
    return `sealed:${[...plain].reverse().join('')}`;
  }
  open(sealed: string): string {
    return [...sealed.replace(/^sealed:/, '')].reverse().join('');
  }
}

function setup(existing: PacsEndpointRecord[] = []) {
  const rows = new Map(existing.map((r) => [r.id, r]));
  const repository = {
    list: vi.fn(() => [...rows.values()]),
    get: vi.fn((id: string) => rows.get(id)),
    getByName: vi.fn((name: string) => [...rows.values()].find((r) => r.name === name)),
    getByDicomAeTitle: vi.fn((ae: string) => [...rows.values()].find((r) => r.dicomAeTitle === ae)),
    create: vi.fn((fields) => {
      const record = { ...fields, id: `id-${rows.size + 1}`, createdAt: 't', updatedAt: 't' } as PacsEndpointRecord;
      rows.set(record.id, record);
      return record;
    }),
    update: vi.fn((id: string, fields) => {
      const record = { ...rows.get(id)!, ...fields } as PacsEndpointRecord;
      rows.set(id, record);
      return record;
    }),
    delete: vi.fn(),
    hasJobs: vi.fn(() => false),
  } as unknown as PacsEndpointRepository;
  const service = new PacsEndpointService(repository, {} as PacsProbeService, new ReversingCipher(), {} as DimseScuRepository);
  return { service, repository, rows };
}

const bearer: PacsEndpointRecord = {
  id: 'id-1',
  name: 'main',
  baseUrl: 'http://pacs.example/dicom-web',
  authType: 'bearer',
  username: null,
  sealedSecret: 'sealed:nekot',
  timeoutMs: 30_000,
  keyImages: false,
  disabledAt: null,
  dicomAeTitle: null,
  dicomHost: null,
  dicomPort: null,
  resultTransport: 'stow',
  createdAt: 't',
  updatedAt: 't',
};

describe('PacsEndpointService', () => {
  it('stores the secret sealed and answers only hasSecret', async () => {
    const { service, rows } = setup();
    const created = await service.create({ name: 'pacs', baseUrl: 'http://pacs.example/dicom-web', authType: 'basic', username: 'u', secret: 'pw' });
    expect(rows.get(created.id)!.sealedSecret).toBe('sealed:wp');
    expect(created).toMatchObject({ hasSecret: true, username: 'u' });
    expect(JSON.stringify(created)).not.toContain('pw');
  });

  it('refuses bearer auth without a token', async () => {
    const { service } = setup();
    await expect(service.create({ name: 'x', baseUrl: 'http://pacs.example/dicom-web', authType: 'bearer' })).rejects.toThrow('authType bearer needs a secret (the token)');
  });

  it('keeps the stored secret when an update does not send one', async () => {
    const { service, rows } = setup([bearer]);
    await service.update('id-1', { timeoutMs: 5000 });
    expect(rows.get('id-1')!.sealedSecret).toBe('sealed:nekot');
  });

  it('refuses to delete an endpoint that jobs refer to', async () => {
    const { service, repository } = setup([bearer]);
    vi.mocked(repository.hasJobs).mockResolvedValue(true);
    await expect(service.delete('id-1')).rejects.toThrow('PACS endpoint id-1 has segmentation jobs and cannot be deleted');
    expect(repository.delete).not.toHaveBeenCalled();
  });

  it('accepts a DIMSE-only PACS that gets its results by C-STORE', async () => {
    const { service } = setup();
    const created = await service.create({ authType: 'none', name: 'modality-pacs', dicomAeTitle: 'PACS1', dicomHost: '10.0.0.5', dicomPort: 104, resultTransport: 'c-store' });
    expect(created).toMatchObject({ baseUrl: null, dicomAeTitle: 'PACS1', dicomPort: 104, resultTransport: 'c-store' });
  });

  it('refuses an endpoint with neither a DICOMweb root nor an AE title', async () => {
    const { service } = setup();
    await expect(service.create({ authType: 'none', name: 'nothing' })).rejects.toThrow('needs a baseUrl (DICOMweb), a dicomAeTitle (DIMSE), or both');
  });

  it('refuses C-STORE delivery without the PACS host and port', async () => {
    const { service } = setup();
    await expect(service.create({ authType: 'none', name: 'x', dicomAeTitle: 'PACS1', resultTransport: 'c-store' })).rejects.toThrow('c-store needs dicomAeTitle, dicomHost and dicomPort');
  });

  it('refuses STOW-RS delivery to a PACS without DICOMweb', async () => {
    const { service } = setup();
    await expect(service.create({ authType: 'none', name: 'x', dicomAeTitle: 'PACS1' })).rejects.toThrow('resultTransport stow needs a baseUrl');
  });

  it('refuses a second endpoint with the same AE title, which would make pushes ambiguous', async () => {
    const { service } = setup([{ ...bearer, dicomAeTitle: 'PACS1' }]);
    await expect(service.create({ authType: 'none', name: 'other', baseUrl: 'http://b.example/dicom-web', dicomAeTitle: 'PACS1' })).rejects.toThrow('already uses DICOM AE title "PACS1"');
  });

  it('clears the AE title with null and keeps it when absent', async () => {
    const { service, rows } = setup([{ ...bearer, dicomAeTitle: 'PACS1' }]);
    await service.update('id-1', { timeoutMs: 5000 });
    expect(rows.get('id-1')!.dicomAeTitle).toBe('PACS1');
    await service.update('id-1', { dicomAeTitle: null });
    expect(rows.get('id-1')!.dicomAeTitle).toBeNull();
  });

  it('clears the base URL with null, making a DICOMweb PACS DIMSE-only, and keeps it when absent', async () => {
    const { service, rows } = setup([{ ...bearer, dicomAeTitle: 'PACS1', dicomHost: '10.0.0.5', dicomPort: 104 }]);
    await service.update('id-1', { timeoutMs: 5000 });
    expect(rows.get('id-1')!.baseUrl).toBe('http://pacs.example/dicom-web');
    await expect(service.update('id-1', { baseUrl: null })).rejects.toThrow('resultTransport stow needs a baseUrl');
    const updated = await service.update('id-1', { baseUrl: null, resultTransport: 'c-store' });
    expect(updated).toMatchObject({ baseUrl: null, resultTransport: 'c-store', dicomAeTitle: 'PACS1' });
    expect(rows.get('id-1')!.baseUrl).toBeNull();
  });

  it('says which endpoint does not exist', async () => {
    const { service } = setup();
    await expect(service.get('nope')).rejects.toThrow('PACS endpoint nope does not exist');
  });
});
