import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCtVolume, parseDicom, readSeg } from '@covseg/dicom';
import { SegmentationModel, segmentVolume } from '@covseg/segmentation';
import { waitForJob } from '../support/jobs';
import { lidcSlicePaths, lidcSlices } from '../support/lidc-fixture';
import { OrthancInstance } from '../support/orthanc';
import { TestServer, repoRoot, startTestServer } from '../support/server';
import { segmentationInputOf } from '../../apps/server/src/jobs/pipeline/segment-volume.step';

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
      SegmentSequence: Array<{ SegmentLabel: string }>;
      ReferencedSeriesSequence: Array<{ ReferencedInstanceSequence: unknown[] }>;
    };
    // Infection and lung for any model; a multi-class model (the shipped one since 1.3.0) adds its two classes.
    const labels = seg.SegmentSequence.map((s) => s.SegmentLabel);
    expect(labels.slice(0, 2)).toEqual(['COVID-19 infection', 'Lung']);
    expect(job.result.quantification.classes ? labels.slice(2) : []).toEqual(job.result.quantification.classes ? ['Ground-glass opacity', 'Consolidation'] : []);
    expect(labels).toHaveLength(job.result.quantification.classes ? 4 : 2);
    expect(Number(seg.NumberOfFrames)).toBe(labels.length * 133);
    expect(seg.ReferencedSeriesSequence[0].ReferencedInstanceSequence).toHaveLength(133);
  });

  it('stores the same SEG pixels as the serial decode path (buildCtVolume), so streaming and worker decoding change nothing', async () => {
    // The reference is what the pipeline stored before decoding was streamed: every file parsed, then
    // buildCtVolume decoding slice by slice on this thread, then the same model and library.
    const volume = await buildCtVolume(files.map((bytes) => parseDicom(bytes)));
    const model = await SegmentationModel.load(join(repoRoot, 'models/covseg-unet.onnx'), { thread: 'worker' });
    const expected = await segmentVolume(model, segmentationInputOf(volume)).finally(() => model.release());

    const [segSop] = await orthanc.findInstances({ Modality: 'SEG' });
    const stored = readSeg(await orthanc.downloadInstance(segSop), volume.slices);
    const differing = (a: Uint8Array, b: Uint8Array) => a.reduce((n, v, i) => n + (v !== b[i] ? 1 : 0), 0);
    const expectedLung = expected.lungSide.map((v) => (v === 0 ? 0 : 1));
    // Segments 1 and 2 are infection and lung for any model (a multi-class one adds 3 GGO and 4 consolidation,
    // and its infection labels 1/2 are segment 1's voxels).
    expect(stored.segments.slice(0, 2).map((s) => s.labelmap.length)).toEqual([expected.infection.length, expectedLung.length]);
    expect(differing(stored.segments[0]!.labelmap, expected.infection.map((v) => (v === 0 ? 0 : 1)))).toBe(0);
    expect(differing(stored.segments[1]!.labelmap, expectedLung)).toBe(0);
    expect(expectedLung.reduce((n, v) => n + v, 0)).toBeGreaterThan(1_000_000);
  });
});
