import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCtVolume, deviceUidFromDigest, parseDicom, readMeasurementReportFile, readPart10Dataset, readSeg } from '@covseg/dicom';
import { SegmentationModel, segmentVolume } from '@covseg/segmentation';
import { SeriesFactory } from '../factories/series.factory';
import { lidcSlices } from '../support/lidc-fixture';
import { OrthancInstance } from '../support/orthanc';
import { TestServer, repoRoot, startTestServer } from '../support/server';
import { waitForJob } from '../support/jobs';
import { DATABASE_KINDS, databaseEnv, stopTestPostgres } from '../support/databases';
import { segmentationInputOf } from '../../apps/server/src/jobs/pipeline/segment-volume.step';

/** 30 contiguous slices through the middle of the chest of LIDC-IDRI-0001 (both lungs present). */
const FIRST_SLICE = 50;
const SLICES = 30;

describe('segmentation pipeline against a real Orthanc', () => {
  let orthanc: OrthancInstance;
  let server: TestServer;
  let files: Uint8Array[];
  let studyInstanceUID: string;
  let seriesInstanceUID: string;
  const segSopUIDs = () => orthanc.findInstances({ Modality: 'SEG' });
  const srSopUIDs = () => orthanc.findInstances({ Modality: 'SR' });

  beforeAll(async () => {
    orthanc = await OrthancInstance.start();
    files = lidcSlices(SLICES, FIRST_SLICE);
    await orthanc.upload(files);
    const first = parseDicom(files[0]).dataset as { StudyInstanceUID: string; SeriesInstanceUID: string };
    studyInstanceUID = first.StudyInstanceUID;
    seriesInstanceUID = first.SeriesInstanceUID;
    server = await startTestServer({ dicomwebUrl: orthanc.dicomwebUrl });
  });
  afterAll(async () => {
    await server?.stop();
    orthanc?.destroy();
  });

  const runJob = async (target: TestServer, body: Record<string, unknown>) => {
    const { id } = await target.json<{ id: string }>('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: target.pacsEndpointId, studyInstanceUID, ...body }), expectStatus: 202 });
    return waitForJob(target, id);
  };

  it('picks the CT series itself, stores a SEG and an SR that pass dciodvfy, and the SEG holds exactly what the model produced', async () => {
    const job = await runJob(server, {});
    expect(job.error).toBeNull();
    expect(job.status).toBe('succeeded');
    expect(job.seriesInstanceUID).toBe(seriesInstanceUID);
    expect(job.seriesSelection.candidates).toHaveLength(1);
    expect(job.progress).toEqual({ slicesDone: SLICES, slicesTotal: SLICES });
    for (const stage of ['qido', 'retrieve', 'decode', 'preprocess', 'infer', 'postprocess', 'segEncode', 'stow']) expect(job.timings[stage]).toBeGreaterThanOrEqual(0);
    const result = job.result;
    expect(result.reused).toBe('none');
    expect(result.slices).toBe(SLICES);
    expect(result.quantification.lungVolumeMl).toBeGreaterThan(100);

    expect(await segSopUIDs()).toEqual([result.segSopInstanceUID]);
    const segBytes = await orthanc.downloadInstance(result.segSopInstanceUID);

    expect(await srSopUIDs()).toEqual([result.srSopInstanceUID]);
    const srBytes = await orthanc.downloadInstance(result.srSopInstanceUID);
    const dir = mkdtempSync(join(tmpdir(), 'covseg-dciodvfy-'));
    try {
      writeFileSync(join(dir, 'seg.dcm'), segBytes);
      const report = dciodvfy(join(dir, 'seg.dcm'));
      expect(report).toMatch(/^Segmentation$/m);
      expect(report.split('\n').filter((line) => line.startsWith('Error'))).toEqual([]);
      writeFileSync(join(dir, 'sr.dcm'), srBytes);
      const srReport = dciodvfy(join(dir, 'sr.dcm'));
      expect(srReport).toMatch(/^Comprehensive3DSR$/m);
      expect(srReport.split('\n').filter((line) => line.startsWith('Error'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // Both carry the Device UID of this model file (IHE AI Results), and the SR measures this SEG.
    const modelDigest = createHash('sha256').update(readFileSync(join(repoRoot, 'models/covseg-unet.onnx'))).digest('hex');
    const deviceUID = deviceUidFromDigest(modelDigest);
    expect(result.deviceUID).toBe(deviceUID);
    expect((await server.json<any>('/api/health')).model.deviceUID).toBe(deviceUID);
    // "Which model made this", as the README tells a PACS user to ask it over QIDO-RS.
    for (const series of [result.segSeriesInstanceUID, result.srSeriesInstanceUID]) {
      const qido = await fetch(`${orthanc.dicomwebUrl}/studies/${studyInstanceUID}/series/${series}/instances?includefield=00081090&includefield=00181020&includefield=00181002`);
      const [instance] = (await qido.json()) as Array<Record<string, { Value: string[] }>>;
      expect([instance['00081090'].Value, instance['00181020'].Value, instance['00181002'].Value]).toEqual([['covseg-unet'], ['1.3.0', 'covseg-server 0.1.0'], [deviceUID]]);
    }
    expect((parseDicom(segBytes).dataset as { DeviceUID: string }).DeviceUID).toBe(deviceUID);
    const sr = readMeasurementReportFile(srBytes);
    expect(sr.deviceObserverUid).toBe(deviceUID);
    expect(sr.contributingDeviceUids).toEqual([deviceUID]);
    expect(sr.sourceSeriesInstanceUIDs).toEqual([seriesInstanceUID]);
    expect(new Set(sr.groups.map((g) => g.segSopInstanceUID))).toEqual(new Set([result.segSopInstanceUID]));
    const infectionGroup = sr.groups.find((g) => g.trackingIdentifier === 'Infection')!;
    expect([infectionGroup.volumeMl, infectionGroup.involvementPercent]).toEqual([result.quantification.infectionVolumeMl, result.quantification.involvementPercent]);
    expect(sr.groups.find((g) => g.trackingIdentifier === 'Lung, left lung')!.volumeMl).toBe(result.quantification.left.lungVolumeMl);

    // The same model on the same slices, outside the server: the SEG must hold exactly these masks.
    const volume = await buildCtVolume(files.map((f) => parseDicom(f)));
    const model = await SegmentationModel.load(join(repoRoot, 'models/covseg-unet.onnx'));
    const expected = await segmentVolume(model, segmentationInputOf(volume));
    await model.release();
    const seg = readSeg(segBytes, volume.slices);
    expect(seg.slices.map((s) => s.sopInstanceUID)).toEqual(volume.slices.map((s) => s.sopInstanceUID));
    const [infection, lung] = seg.segments;
    expect(infection.label).toBe('COVID-19 infection');
    expect(lung.label).toBe('Lung');
    // Any non-zero label is infection (a multi-class model labels GGO 1 and consolidation 2).
    expect(Buffer.from(infection.labelmap).equals(Buffer.from(expected.infection.map((v) => (v === 0 ? 0 : 1))))).toBe(true);
    // The lung segment is the side labels' non-zero voxels (1 right, 2 left).
    expect(Buffer.from(lung.labelmap).equals(Buffer.from(expected.lungSide.map((v) => (v === 0 ? 0 : 1))))).toBe(true);
    const voxelMl = (volume.geometry.rowSpacingMm * volume.geometry.columnSpacingMm * volume.geometry.sliceSpacingMm) / 1000;
    expect(result.quantification.lungVolumeMl).toBeCloseTo(count(lung.labelmap) * voxelMl, 1);

    // Every source slice is referenced (PS3.3 C.8.20.1 ReferencedSeriesSequence).
    const dataset = parseDicom(segBytes).dataset as { ReferencedSeriesSequence: Array<{ SeriesInstanceUID: string; ReferencedInstanceSequence: Array<{ ReferencedSOPInstanceUID: string }> }> };
    const referenced = dataset.ReferencedSeriesSequence[0];
    expect(referenced.SeriesInstanceUID).toBe(seriesInstanceUID);
    expect(new Set(referenced.ReferencedInstanceSequence.map((i) => i.ReferencedSOPInstanceUID))).toEqual(new Set(volume.slices.map((s) => s.sopInstanceUID)));
  });

  it('returns the stored result instead of storing a second one when the same series runs again', async () => {
    const [segsBefore, srsBefore] = [await segSopUIDs(), await srSopUIDs()];
    const job = await runJob(server, { seriesInstanceUID });
    expect(job.status).toBe('succeeded');
    expect(job.result.reused).toBe('database');
    expect([job.result.segSopInstanceUID, job.result.srSopInstanceUID]).toEqual([segsBefore[0], srsBefore[0]]);
    expect([await segSopUIDs(), await srSopUIDs()]).toEqual([segsBefore, srsBefore]);
  });

  it('finds the result on the PACS when a server with an empty database runs the same series, with the figures read from the SR', async () => {
    const [segsBefore, srsBefore] = [await segSopUIDs(), await srSopUIDs()];
    const first = (await server.json<any[]>('/api/jobs')).find((j) => j.result?.reused === 'none');
    const fresh = await startTestServer({ dicomwebUrl: orthanc.dicomwebUrl });
    try {
      const job = await runJob(fresh, { seriesInstanceUID });
      expect(job.status).toBe('succeeded');
      expect(job.result.reused).toBe('pacs');
      expect([job.result.segSopInstanceUID, job.result.srSopInstanceUID]).toEqual([segsBefore[0], srsBefore[0]]);
      expect(job.result.quantification).toEqual(first.result.quantification);
      expect([await segSopUIDs(), await srSopUIDs()]).toEqual([segsBefore, srsBefore]);
    } finally {
      await fresh.stop();
    }
  });

  it("gives the viewer the SR's figures, per side, for a result this server has no job record of", async () => {
    const first = (await server.json<any[]>('/api/jobs')).find((j) => j.result?.reused === 'none');
    const fresh = await startTestServer({ dicomwebUrl: orthanc.dicomwebUrl });
    try {
      const overlays = await fresh.json<any>(`/api/overlays?endpointId=${fresh.pacsEndpointId}&study=${studyInstanceUID}&series=${seriesInstanceUID}`);
      const ours = overlays.segs.filter((s: any) => s.ours);
      expect(ours).toHaveLength(1);
      const q = first.result.quantification;
      expect(ours[0].superseded).toBe(false);
      expect(ours[0].quantification).toMatchObject({
        source: 'sr',
        srSopInstanceUID: first.result.srSopInstanceUID,
        infectionMl: q.infectionVolumeMl,
        lungMl: q.lungVolumeMl,
        involvementPercent: q.involvementPercent,
        right: { infectionMl: q.right.infectionVolumeMl, lungMl: q.right.lungVolumeMl, involvementPercent: q.right.involvementPercent },
        left: { infectionMl: q.left.infectionVolumeMl, lungMl: q.left.lungVolumeMl, involvementPercent: q.left.involvementPercent },
        modelName: 'covseg-unet',
      });
    } finally {
      await fresh.stop();
    }
  });

  it('stores a new, distinguishable SEG and SR when asked to force, and the SR names the report it supersedes', async () => {
    const [segsBefore, srsBefore] = [await segSopUIDs(), await srSopUIDs()];
    const job = await runJob(server, { seriesInstanceUID, force: true });
    expect(job.status).toBe('succeeded');
    expect(job.result.reused).toBe('none');
    expect(job.result.run).toBe(2);
    expect(job.result.supersedes).toEqual(srsBefore);
    expect((await segSopUIDs()).sort()).toEqual([...segsBefore, job.result.segSopInstanceUID].sort());
    expect((await srSopUIDs()).sort()).toEqual([...srsBefore, job.result.srSopInstanceUID].sort());
    const describe = async (sop: string) => {
      const ds = parseDicom(await orthanc.downloadInstance(sop)).dataset as { SeriesDescription: string; SeriesNumber: number };
      return [ds.SeriesDescription, Number(ds.SeriesNumber)];
    };
    expect(await describe(segsBefore[0])).toEqual(['covseg-unet 1.3.0 infection+lung', 9000]);
    expect(await describe(job.result.segSopInstanceUID)).toEqual(['covseg-unet 1.3.0 infection+lung run 2', 9010]);
    expect(await describe(job.result.srSopInstanceUID)).toEqual(['covseg-unet 1.3.0 measurements run 2', 9011]);
    expect(readMeasurementReportFile(await orthanc.downloadInstance(job.result.srSopInstanceUID)).predecessorSopInstanceUIDs).toEqual(srsBefore);

    // The viewer lists both results and marks the first one superseded.
    const overlays = await server.json<any>(`/api/overlays?endpointId=${server.pacsEndpointId}&study=${studyInstanceUID}&series=${seriesInstanceUID}`);
    const bySop = new Map(overlays.segs.map((s: any) => [s.segSopInstanceUID, s]));
    expect([(bySop.get(segsBefore[0]) as any).superseded, (bySop.get(job.result.segSopInstanceUID) as any).superseded]).toEqual([true, false]);

    // The next plain job reuses the newest run.
    const again = await runJob(server, { seriesInstanceUID });
    expect([again.result.reused, again.result.srSopInstanceUID]).toEqual(['database', job.result.srSopInstanceUID]);
  });

  it('stores key images between the SEG and the SR when the endpoint asks for them: one per slice with >= 1 cm² infection, plus a summary', async () => {
    await server.json(`/api/pacs-endpoints/${server.pacsEndpointId}`, { method: 'PATCH', body: JSON.stringify({ keyImages: true }) });
    try {
      const job = await runJob(server, { seriesInstanceUID, force: true });
      expect(job.status).toBe('succeeded');
      const volume = await buildCtVolume(files.map((f) => parseDicom(f)));
      const seg = readSeg(await orthanc.downloadInstance(job.result.segSopInstanceUID), volume.slices);
      const plane = volume.geometry.rows * volume.geometry.columns;
      const pixelMm2 = volume.geometry.rowSpacingMm * volume.geometry.columnSpacingMm;
      let keySlices = 0;
      for (let z = 0; z < volume.geometry.slices; z++) if (count(seg.segments[0].labelmap.subarray(z * plane, (z + 1) * plane)) * pixelMm2 >= 100) keySlices++;
      expect(job.result.keyImages).toBe(Math.min(keySlices, 24) + 1);
      const keyImages = await orthanc.findInstances({ Modality: 'OT', StudyInstanceUID: studyInstanceUID });
      expect(keyImages).toHaveLength(job.result.keyImages);
      const dir = mkdtempSync(join(tmpdir(), 'covseg-key-'));
      try {
        for (const sop of keyImages) {
          const bytes = await orthanc.downloadInstance(sop);
          writeFileSync(join(dir, `${sop}.dcm`), bytes);
          const report = dciodvfy(join(dir, `${sop}.dcm`));
          expect(report).toMatch(/^SCImage$/m);
          expect(report.split('\n').filter((line) => line.startsWith('Error'))).toEqual([]);
          const ds = readPart10Dataset(bytes) as Record<string, any>;
          expect([ds.BurnedInAnnotation, ds.ImageComments.startsWith('NOT FOR DIAGNOSIS'), ds.SeriesDescription]).toEqual(['YES', true, 'covseg-unet 1.3.0 key images run 3']);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      await server.json(`/api/pacs-endpoints/${server.pacsEndpointId}`, { method: 'PATCH', body: JSON.stringify({ keyImages: false }) });
    }
  });
});

afterAll(stopTestPostgres);

// Idempotent write-back on both adapters of the database port (the outbox and job rows decide "reused").
describe.each(DATABASE_KINDS)('segmentation jobs running side by side (state in %s)', (database) => {
  it('stores one SEG when two jobs for the same series run at the same time, and a third run reuses it', async () => {
    const orthanc = await OrthancInstance.start();
    const server = await startTestServer({ dicomwebUrl: orthanc.dicomwebUrl, env: { JOB_CONCURRENCY: '2', ...(await databaseEnv(database)) } });
    try {
      const phantom = SeriesFactory.ct().size(128, 128).pixelSpacingMm(2.5, 2.5).slices(10).build();
      await orthanc.upload(phantom.files);
      const body = JSON.stringify({ pacsEndpointId: server.pacsEndpointId, studyInstanceUID: phantom.studyInstanceUID, seriesInstanceUID: phantom.seriesInstanceUID });
      const ids = await Promise.all([1, 2].map(() => server.json<{ id: string }>('/api/jobs', { method: 'POST', body, expectStatus: 202 })));
      const jobs = await Promise.all(ids.map(({ id }) => waitForJob(server, id)));
      expect(jobs.map((j) => j.status)).toEqual(['succeeded', 'succeeded']);
      expect(jobs.map((j) => j.result.reused).sort()).toEqual(['database', 'none']);
      expect(jobs[0].result.segSopInstanceUID).toBe(jobs[1].result.segSopInstanceUID);
      expect(await orthanc.findInstances({ Modality: 'SEG', StudyInstanceUID: phantom.studyInstanceUID })).toEqual([jobs[0].result.segSopInstanceUID]);
      const again = await waitForJob(server, (await server.json<{ id: string }>('/api/jobs', { method: 'POST', body, expectStatus: 202 })).id);
      expect({ status: again.status, reused: again.result.reused, seg: again.result.segSopInstanceUID }).toEqual({ status: 'succeeded', reused: 'database', seg: jobs[0].result.segSopInstanceUID });
      expect(await orthanc.findInstances({ Modality: 'SEG', StudyInstanceUID: phantom.studyInstanceUID })).toEqual([jobs[0].result.segSopInstanceUID]);
    } finally {
      await server.stop();
      orthanc.destroy();
    }
  });
});

function count(mask: Uint8Array): number {
  let n = 0;
  for (const v of mask) n += v ? 1 : 0;
  return n;
}

/** dciodvfy prints its findings on stderr, and its exit code does not say whether there were errors. */
function dciodvfy(path: string): string {
  const run = spawnSync('/usr/bin/dciodvfy', [path], { encoding: 'utf8' });
  if (run.error) throw run.error;
  return `${run.stdout}${run.stderr}`;
}
