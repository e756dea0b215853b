import { describe, expect, it } from 'vitest';
import { DatabaseUnavailableError } from '../../core/database/database.errors';
import type { SqlDatabase } from '../../core/database/sql-database';
import type { AppConfig } from '../../core/repositories/config.repository';
import type { Principal } from '../../core/principal';
import type { DicomListenerService } from '../../dimse/services/dicom-listener.service';
import type { JobRepository } from '../../jobs/repositories/job.repository';
import type { ModelRepository } from '../../model/repositories/model.repository';
import type { PacsEndpointRecord, PacsEndpointRepository } from '../../pacs/repositories/pacs-endpoint.repository';
import { HealthService } from './health.service';
import type { PacsHealthMonitor } from './pacs-health-monitor.service';

const admin = { id: 'a', role: 'admin' } as unknown as Principal;
const endpoint = { id: 'ep1', name: 'pacs', baseUrl: 'http://pacs/dicom-web', disabledAt: null } as PacsEndpointRecord;

/** A HealthService over a database that answers or not, a loaded model and one probed endpoint. */
function healthWith(database: { down: boolean; bug?: boolean }) {
  const fail = () => {
    if (database.bug) throw new TypeError('a bug of ours');
    if (database.down) throw new DatabaseUnavailableError('PostgreSQL is unavailable (query): connect ECONNREFUSED');
  };
  const service = new HealthService(
    { dialect: 'postgres' } as SqlDatabase,
    {} as AppConfig,
    { getModel: () => undefined, loadsModel: false } as unknown as ModelRepository,
    { list: async () => (fail(), [endpoint]) } as unknown as PacsEndpointRepository,
    { requestProbeOf: () => undefined, getState: () => ({ reachable: true, latencyMs: 3, checkedAt: Date.now() }), getLastRoundEndedAt: () => Date.now() } as unknown as PacsHealthMonitor,
    { countActive: async () => (fail(), { queued: 1, running: 0 }) } as unknown as JobRepository,
    { getStatus: () => undefined } as unknown as DicomListenerService,
  );
  return service;
}

describe('HealthService', () => {
  it('reports the database as reachable and serves while it answers', async () => {
    const report = await healthWith({ down: false }).getHealth(admin);
    expect(report.serving).toBe(true);
    expect(report.body).toMatchObject({ status: 'ok', database: { dialect: 'postgres', reachable: true }, jobs: { queued: 1, running: 0 } });
  });

  it('answers degraded and not serving, with the reason for an admin, when the database does not answer', async () => {
    const database = { down: false };
    const service = healthWith(database);
    await service.getHealth(admin);
    database.down = true;
    const report = await service.getHealth(admin);
    expect(report.serving).toBe(false);
    expect(report.body).toMatchObject({ status: 'degraded', database: { reachable: false, error: expect.stringMatching(/PostgreSQL is unavailable/) }, jobs: null });
    // The endpoints read before the outage still show their cached probes.
    expect((report.body as { pacsEndpoints: Array<{ id: string }> }).pacsEndpoints.map((e) => e.id)).toEqual(['ep1']);
  });

  it('gives an anonymous caller the status alone while the database is down', async () => {
    const report = await healthWith({ down: true }).getHealth(undefined);
    expect(report).toEqual({ body: { status: 'degraded' }, serving: false });
  });

  it('lets an error that is not the database being away through (our bug: 500 by the error filter)', async () => {
    await expect(healthWith({ down: false, bug: true }).getHealth(undefined)).rejects.toThrow(TypeError);
  });
});
