import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeriesFactory } from '../factories/series.factory';
import { waitForJob } from '../support/jobs';
import { OrthancInstance } from '../support/orthanc';
import { ServerProcess, spawnServerProcess } from '../support/server';

// Identifying values that must never reach a log line; UIDs are what the logs carry instead.
const PHI = { PatientName: 'Doeverylongname^Janeunique', PatientBirthDate: '19450607', PatientID: 'MRN-778899-XQ' };

describe('server logs of a real process', () => {
  let orthanc: OrthancInstance;
  let server: ServerProcess;
  const ct = SeriesFactory.ct().size(48, 48).pixelSpacingMm(6, 6).slices(12).modify((d) => Object.assign(d, PHI)).build();
  const mr = SeriesFactory.ct().withModality('MR').slices(12).modify((d) => Object.assign(d, PHI)).build();

  beforeAll(async () => {
    orthanc = await OrthancInstance.start();
    await orthanc.upload([...ct.files, ...mr.files]);
    server = await spawnServerProcess({ dicomwebUrl: orthanc.dicomwebUrl });
  });
  afterAll(async () => {
    await server?.stop();
    orthanc?.destroy();
  });

  it('carry UIDs and no patient name, birth date or ID, through jobs, uploads and the proxy', async () => {
    const submit = async (studyInstanceUID: string) =>
      (await server.json<{ id: string }>('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: server.pacsEndpointId, studyInstanceUID }), expectStatus: 202 })).id;
    expect((await waitForJob(server, await submit(ct.studyInstanceUID))).status).toBe('succeeded');
    expect((await waitForJob(server, await submit(mr.studyInstanceUID))).status).toBe('failed');
    for (const bytes of [ct.files[0], mr.files[0], ct.files[0].subarray(0, 900)]) {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(bytes)]), 'slice.dcm');
      await (await server.request('/api/segment-image', { method: 'POST', body: form })).arrayBuffer();
    }
    await (await server.request(`/api/dicomweb/${server.pacsEndpointId}/studies?PatientName=${encodeURIComponent('Doeverylongname*')}&PatientID=${PHI.PatientID}`)).arrayBuffer();
    await (await server.request(`/api/studies?endpointId=${server.pacsEndpointId}&patientName=Doeverylongname`)).arrayBuffer();
    await new Promise((r) => setTimeout(r, 500));

    const output = server.output();
    expect(output).toContain(ct.studyInstanceUID);
    for (const value of ['Doeverylongname', 'Janeunique', PHI.PatientBirthDate, PHI.PatientID]) expect(output, value).not.toContain(value);
  });

  it('writes one JSON object per log line', () => {
    const lines = server.output().split('\n').filter((l) => l.trim() !== '');
    const notJson = lines.filter((l) => {
      try {
        return typeof JSON.parse(l) !== 'object';
      } catch {
        return true;
      }
    });
    expect(notJson, notJson.slice(0, 5).join('\n')).toEqual([]);
  });
});
