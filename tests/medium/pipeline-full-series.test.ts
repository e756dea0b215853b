import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDicom } from '@covseg/dicom';
import { waitForJob } from '../support/jobs';
import { lidcSlicePaths, lidcSlices } from '../support/lidc-fixture';
import { OrthancInstance } from '../support/orthanc';
import { TestServer, startTestServer } from '../support/server';

describe('segmentation of the full 133-slice LIDC-IDRI-0001 series', () => {
  let orthanc: OrthancInstance;
  let server: TestServer;
  let files: Uint8Array[];

  beforeAll(async () => {
    orthanc = await OrthancInstance.start();
    files = lidcSlices(lidcSlicePaths().length);
    await orthanc.upload(files);
    server = await startTestServer({ dicomwebUrl: orthanc.dicomwebUrl });
  });
  afterAll(async () => {
    await server?.stop();
    orthanc?.destroy();
  });

  it('stores one SEG with both segments on every one of the 133 slices', async () => {
    const { StudyInstanceUID } = parseDicom(files[0]).dataset as { StudyInstanceUID: string };
    const { id } = await server.json<{ id: string }>('/api/jobs', {
      method: 'POST',
      body: JSON.stringify({ pacsEndpointId: server.pacsEndpointId, studyInstanceUID: StudyInstanceUID }),
      expectStatus: 202,
    });
    const job = await waitForJob(server, id);
    expect(job.error).toBeNull();
    expect(job.result.slices).toBe(133);
    expect(job.progress).toEqual({ slicesDone: 133, slicesTotal: 133 });
    // Lung volume of an adult chest CT: litres, not millilitres or cubic metres (units check).
    expect(job.result.quantification.lungVolumeMl).toBeGreaterThan(1500);
    expect(job.result.quantification.lungVolumeMl).toBeLessThan(9000);

    const [segSop] = await orthanc.findInstances({ Modality: 'SEG' });
    expect(segSop).toBe(job.result.segSopInstanceUID);
    const seg = parseDicom(await orthanc.downloadInstance(segSop)).dataset as {
      NumberOfFrames: number | string;
      ReferencedSeriesSequence: Array<{ ReferencedInstanceSequence: unknown[] }>;
    };
    expect(Number(seg.NumberOfFrames)).toBe(2 * 133);
    expect(seg.ReferencedSeriesSequence[0].ReferencedInstanceSequence).toHaveLength(133);
  });
});
