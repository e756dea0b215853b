import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { data } from 'dcmjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCtVolume, lungFiguresOf, parseDicom, readMeasurementReportFile, readSeg, SegmentCodes } from '@covseg/dicom';
import { SegmentationModel, segmentVolume } from '@covseg/segmentation';
import { lidcSlices } from '../support/lidc-fixture';
import { OrthancInstance } from '../support/orthanc';
import { TestServer, repoRoot, startTestServer } from '../support/server';
import { waitForJob } from '../support/jobs';
import { segmentationInputOf } from '../../apps/server/src/jobs/pipeline/segment-volume.step';

/*
 * A multi-class model (docs/CONTRACTS.md §2: outputs prob + consolidation, covseg.classes) through the
 * real job pipeline, Orthanc and dciodvfy. The tiny two-output test model marks lung-window grey >= 0.6
 * (about -450 HU) as infection and >= 0.8 (about -150 HU) of it as consolidation, so on real CT its
 * vessels and the lung's dense rim give both classes: the figures mean nothing clinically, the plumbing
 * is what is tested.
 */
const MODEL = join(repoRoot, 'libs/segmentation/test-support/tiny-covseg-multiclass.onnx');
const FIRST_SLICE = 55;
const SLICES = 20;

describe('a multi-class model through the job pipeline against a real Orthanc', () => {
  let orthanc: OrthancInstance;
  let server: TestServer;
  let files: Uint8Array[];
  let studyInstanceUID: string;
  let seriesInstanceUID: string;
  let job: any;

  beforeAll(async () => {
    orthanc = await OrthancInstance.start();
    files = lidcSlices(SLICES, FIRST_SLICE);
    await orthanc.upload(files);
    const first = parseDicom(files[0]!).dataset as { StudyInstanceUID: string; SeriesInstanceUID: string };
    studyInstanceUID = first.StudyInstanceUID;
    seriesInstanceUID = first.SeriesInstanceUID;
    server = await startTestServer({ dicomwebUrl: orthanc.dicomwebUrl, env: { MODEL_PATH: MODEL } });
    const { id } = await server.json<{ id: string }>('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: server.pacsEndpointId, studyInstanceUID }), expectStatus: 202 });
    job = await waitForJob(server, id);
  }, 300_000); // Orthanc, the server and a 20-slice job: generous for a loaded 2-core CI machine
  afterAll(async () => {
    await server?.stop();
    orthanc?.destroy();
  }, 120_000);

  it('reports GGO and consolidation volume and % of lung for both lungs and each lung, adding up to the infection', () => {
    expect(job.error).toBeNull();
    const q = job.result.quantification;
    for (const region of [q, q.right, q.left]) {
      const { ggo, consolidation } = region.classes;
      expect(ggo.volumeMl).toBeGreaterThan(0);
      expect(consolidation.volumeMl).toBeGreaterThan(0);
      // Each figure is rounded to 0.001 on its own.
      expect(Math.abs(ggo.volumeMl + consolidation.volumeMl - region.infectionVolumeMl)).toBeLessThanOrEqual(0.002);
      expect(Math.abs(ggo.involvementPercent + consolidation.involvementPercent - region.involvementPercent)).toBeLessThanOrEqual(0.002);
      expect(ggo.involvementPercent).toBeCloseTo((ggo.volumeMl / region.lungVolumeMl) * 100, 2);
    }
  });

  it('stores a SEG with the union, the lung and one segment per class, with their codes, that passes dciodvfy and holds exactly the model labels', async () => {
    const segBytes = await orthanc.downloadInstance(job.result.segSopInstanceUID);
    expect(dciodvfyErrors(segBytes, /^Segmentation$/m)).toEqual([]);
    const volume = await buildCtVolume(files.map((f) => parseDicom(f)));
    const seg = readSeg(segBytes, volume.slices);
    expect(seg.segments.map((s) => [s.segmentNumber, s.label])).toEqual([
      [1, 'COVID-19 infection'],
      [2, 'Lung'],
      [3, 'Ground-glass opacity'],
      [4, 'Consolidation'],
    ]);
    expect(seg.segments[2]!.type).toEqual(SegmentCodes.groundGlassOpacity);
    expect(seg.segments[3]!.type).toEqual(SegmentCodes.consolidation);
    expect(seg.segments[2]!.category).toEqual(SegmentCodes.morphologicallyAbnormalStructure);

    // The same model on the same slices, outside the server.
    const model = await SegmentationModel.load(MODEL);
    const expected = await segmentVolume(model, segmentationInputOf(volume));
    await model.release();
    const same = (mask: Uint8Array, want: (v: number) => boolean) => Buffer.from(mask).equals(Buffer.from(expected.infection.map((v) => (want(v) ? 1 : 0))));
    expect(same(seg.segments[0]!.labelmap, (v) => v !== 0)).toBe(true);
    expect(same(seg.segments[2]!.labelmap, (v) => v === 1)).toBe(true);
    expect(same(seg.segments[3]!.labelmap, (v) => v === 2)).toBe(true);

    // dcmjs (what OHIF and Cornerstone load SEGs with) reads four segments, their codes, and four frames per slice.
    const list = (value: unknown): any[] => (Array.isArray(value) ? value : [value]);
    const ds = data.DicomMetaDictionary.naturalizeDataset(data.DicomMessage.readFile(segBytes.slice().buffer as ArrayBuffer).dict);
    expect(list(ds.SegmentSequence).map((s) => [s.SegmentLabel, list(s.SegmentedPropertyTypeCodeSequence)[0].CodeValue])).toEqual([
      ['COVID-19 infection', '52988006'],
      ['Lung', '39607008'],
      ['Ground-glass opacity', '112120'],
      ['Consolidation', '95436008'],
    ]);
    const frames = list(ds.PerFrameFunctionalGroupsSequence);
    expect(frames).toHaveLength(4 * SLICES);
    frames.forEach((frame, f) => expect(list(frame.SegmentIdentificationSequence)[0].ReferencedSegmentNumber).toBe(Math.floor(f / SLICES) + 1));
  });

  it('stores an SR with per-class groups per lung region that passes dciodvfy and carries the job figures', async () => {
    const srBytes = await orthanc.downloadInstance(job.result.srSopInstanceUID);
    expect(dciodvfyErrors(srBytes, /^Comprehensive3DSR$/m)).toEqual([]);
    const sr = readMeasurementReportFile(srBytes);
    const q = job.result.quantification;
    const group = (id: string) => sr.groups.find((x) => x.trackingIdentifier === id)!;
    expect(group('Ground-glass opacity').segmentNumber).toBe(3);
    expect(group('Consolidation, left lung').segmentNumber).toBe(4);
    expect([group('Ground-glass opacity').volumeMl, group('Ground-glass opacity').involvementPercent]).toEqual([q.classes.ggo.volumeMl, q.classes.ggo.involvementPercent]);
    expect(group('Consolidation, right lung').volumeMl).toBe(q.right.classes.consolidation.volumeMl);
    expect(group('Ground-glass opacity, left lung').finding).toEqual(SegmentCodes.groundGlassOpacity);
    // Read back by code: the figures a reused result reports.
    expect(lungFiguresOf(sr)!.classes).toEqual(q.classes);
    expect(lungFiguresOf(sr)!.right!.classes).toEqual(q.right.classes);
  });

  it('answers a DICOM slice upload with the union mask as before plus the GGO and consolidation fractions', async () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(files[10]!)]), 'slice.dcm');
    const response = await server.request('/api/segment-image', { method: 'POST', body: form });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { infectedFraction: number; classFractions: { ggo: number; consolidation: number }; maskPng: string };
    expect(body.infectedFraction).toBeGreaterThan(0);
    // Consolidation (label 2) survives the lung clipping: never a bitwise AND with the 0/1 lung mask.
    expect(body.classFractions.consolidation).toBeGreaterThan(0);
    expect(body.classFractions.ggo).toBeGreaterThan(0);
    expect(body.classFractions.ggo + body.classFractions.consolidation).toBeCloseTo(body.infectedFraction, 12);
  });

  it('gives a server with an empty database the same per-class figures from the PACS, for the job and for the viewer', async () => {
    const fresh = await startTestServer({ dicomwebUrl: orthanc.dicomwebUrl, env: { MODEL_PATH: MODEL } });
    try {
      const { id } = await fresh.json<{ id: string }>('/api/jobs', { method: 'POST', body: JSON.stringify({ pacsEndpointId: fresh.pacsEndpointId, studyInstanceUID, seriesInstanceUID }), expectStatus: 202 });
      const reused = await waitForJob(fresh, id);
      expect(reused.result.reused).toBe('pacs');
      expect(reused.result.quantification).toEqual(job.result.quantification);

      const overlays = await fresh.json<any>(`/api/overlays?endpointId=${fresh.pacsEndpointId}&study=${studyInstanceUID}&series=${seriesInstanceUID}`);
      const ours = overlays.segs.find((s: any) => s.ours);
      expect(ours.segments.map((s: any) => s.infectionClass ?? null)).toEqual([null, null, 'ggo', 'consolidation']);
      expect(ours.segments[2].color).not.toEqual(ours.segments[3].color);
      expect(ours.quantification.source).toBe('sr');
      expect(ours.quantification.classes).toEqual(job.result.quantification.classes);
      expect(ours.quantification.left.classes).toEqual(job.result.quantification.left.classes);
    } finally {
      await fresh.stop();
    }
  });

  it('corrects one class: GGO painted over consolidation takes those voxels from it, the union follows, and an edit of the union is refused', async () => {
    const volume = await buildCtVolume(files.map((f) => parseDicom(f)));
    const ai = readSeg(await orthanc.downloadInstance(job.result.segSopInstanceUID), volume.slices);
    const perSlice = ai.rows * ai.columns;
    const [union, , ggo, consolidation] = ai.segments;
    // The slice with the most consolidation: the reader calls all of it ground glass, and adds a 6 x 6 block.
    const counts = volume.slices.map((_, z) => consolidation!.labelmap.subarray(z * perSlice, (z + 1) * perSlice).reduce((a, b) => a + b, 0));
    const z = counts.indexOf(Math.max(...counts));
    expect(counts[z]).toBeGreaterThan(0);
    const plane = (m: Uint8Array) => m.slice(z * perSlice, (z + 1) * perSlice);
    const edited = plane(ggo!.labelmap).map((v, i) => v | consolidation!.labelmap[z * perSlice + i]!);
    for (let y = 0; y < 6; y++) for (let x = 0; x < 6; x++) edited[(5 + y) * ai.columns + 5 + x] = 1;
    const body = (segmentNumber: number, mask: Uint8Array) =>
      JSON.stringify({
        endpointId: server.pacsEndpointId,
        study: studyInstanceUID,
        series: seriesInstanceUID,
        segSeriesInstanceUID: job.result.segSeriesInstanceUID,
        segSopInstanceUID: job.result.segSopInstanceUID,
        // A listed segment is taken whole (slices left out are empty): every slice is listed, only z changed.
        segments: [{ segmentNumber, slices: volume.slices.map((slice, k) => ({ sopInstanceUID: slice.sopInstanceUID, rle: runs(k === z ? mask : (segmentNumber === 3 ? ggo : union)!.labelmap.subarray(k * perSlice, (k + 1) * perSlice)) })) }],
      });

    const refused = await server.request('/api/corrections', { method: 'POST', body: body(1, edited) });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { message: string }).message).toMatch(/union of segments 3 \(Ground-glass opacity\) and 4 \(Consolidation\): edit those instead/);

    const response = await server.request('/api/corrections', { method: 'POST', body: body(3, edited) });
    expect(response.status).toBe(201);
    const saved = (await response.json()) as { segSopInstanceUID: string };
    const corrected = readSeg(await orthanc.downloadInstance(saved.segSopInstanceUID), volume.slices);
    expect(Array.from(plane(corrected.segments[2]!.labelmap))).toEqual(Array.from(edited));
    expect(plane(corrected.segments[3]!.labelmap).reduce((a, b) => a + b, 0)).toBe(0);
    expect(Array.from(plane(corrected.segments[0]!.labelmap))).toEqual(Array.from(edited));
    // Other slices are untouched, every class segment included.
    const other = (z + 1) % volume.slices.length;
    for (const k of [0, 2, 3]) expect(Buffer.from(corrected.segments[k]!.labelmap.subarray(other * perSlice, (other + 1) * perSlice)).equals(Buffer.from(ai.segments[k]!.labelmap.subarray(other * perSlice, (other + 1) * perSlice)))).toBe(true);
  });
});

function dciodvfyErrors(bytes: Uint8Array, kind: RegExp): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'covseg-dciodvfy-'));
  try {
    writeFileSync(join(dir, 'object.dcm'), bytes);
    const run = spawnSync('/usr/bin/dciodvfy', [join(dir, 'object.dcm')], { encoding: 'utf8' });
    if (run.error) throw run.error;
    const report = `${run.stdout}${run.stderr}`;
    expect(report).toMatch(kind);
    return report.split('\n').filter((line) => line.startsWith('Error'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The overlays/corrections codec: base64 of uint32 LE run lengths, alternating 0-runs and 1-runs, starting with 0. */
function runs(mask: Uint8Array): string {
  const lengths: number[] = [];
  let current = 0;
  let length = 0;
  for (const v of mask) {
    const bit = v ? 1 : 0;
    if (bit !== current) {
      lengths.push(length);
      current = bit;
      length = 0;
    }
    length++;
  }
  lengths.push(length);
  const bytes = Buffer.alloc(lengths.length * 4);
  lengths.forEach((n, i) => bytes.writeUInt32LE(n, i * 4));
  return bytes.toString('base64');
}
