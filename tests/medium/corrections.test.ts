import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { data } from 'dcmjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMeasurementReportFile, readSeg } from '@covseg/dicom';
import { OrthancInstance } from '../support/orthanc';
import { aiSegOverLidc, issueToken, LIDC_SERIES, LIDC_STUDY, sliceRuns, type AiSegFixture } from '../support/review-fixture';
import { startInProcessServer, type TestServer } from '../support/server';

const SLICES = 8;
const list = (value: unknown): any[] => (Array.isArray(value) ? value : [value]);

describe('saving a reader correction against a real Orthanc', () => {
  let orthanc: OrthancInstance;
  let server: TestServer;
  let ai: AiSegFixture;
  let reviewer: string;
  let user: string;
  let work: string;
  let edited: Uint8Array;
  let firstSave: { segSopInstanceUID: string; segSeriesInstanceUID: string; id: string };

  const asToken = (token: string) => ({ authorization: `Bearer ${token}` });
  const body = (segments: unknown) =>
    JSON.stringify({ endpointId: server.pacsEndpointId, study: LIDC_STUDY, series: LIDC_SERIES, segSeriesInstanceUID: ai.seriesInstanceUID, segSopInstanceUID: ai.sopInstanceUID, segments });
  const infectionSegment = (labelmap: Uint8Array) => {
    const perSlice = ai.rows * ai.columns;
    const slices = ai.source.map((s, z) => ({ sopInstanceUID: s.sopInstanceUID, rle: sliceRuns(labelmap.subarray(z * perSlice, (z + 1) * perSlice)) })).filter((s) => s.rle);
    return [{ segmentNumber: 1, slices }];
  };

  beforeAll(async () => {
    ai = aiSegOverLidc(SLICES);
    orthanc = await OrthancInstance.start();
    await orthanc.upload([...ai.paths, ai.bytes]);
    server = await startInProcessServer({ dicomwebUrl: orthanc.dicomwebUrl });
    reviewer = await issueToken(server, 'reviewer', 'Reader 7');
    user = await issueToken(server, 'user', 'ward workstation');
    work = mkdtempSync(join(tmpdir(), 'covseg-corrections-'));
    // The reader paints a 20 x 10 block on slice 4 and erases the lesion on slice 2.
    edited = ai.infection.slice();
    const perSlice = ai.rows * ai.columns;
    for (let y = 300; y < 310; y++) edited.fill(1, 4 * perSlice + y * ai.columns + 300, 4 * perSlice + y * ai.columns + 320);
    edited.fill(0, 2 * perSlice, 3 * perSlice);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    orthanc?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('refuses a user token (no reviewer role) and stores nothing', async () => {
    const response = await server.request('/api/corrections', { method: 'POST', body: body(infectionSegment(edited)), headers: asToken(user) });
    expect(response.status).toBe(403);
    expect(await orthanc.findInstances({ Modality: 'SEG' })).toEqual([ai.sopInstanceUID]);
  });

  it('stores a new SEG that differs from the AI SEG exactly where the reader edited, and leaves the AI SEG untouched', async () => {
    const response = await server.request('/api/corrections', { method: 'POST', body: body(infectionSegment(edited)), headers: asToken(reviewer) });
    expect(response.status).toBe(201);
    firstSave = await response.json();
    const segs = await orthanc.findInstances({ Modality: 'SEG' });
    expect(segs.sort()).toEqual([ai.sopInstanceUID, firstSave.segSopInstanceUID].sort());
    expect(Buffer.from(await orthanc.downloadInstance(ai.sopInstanceUID)).equals(Buffer.from(ai.bytes))).toBe(true);

    const bytes = await orthanc.downloadInstance(firstSave.segSopInstanceUID);
    const corrected = readSeg(bytes, ai.source);
    expect(Buffer.from(corrected.segments[0]!.labelmap).equals(Buffer.from(edited))).toBe(true);
    expect(Buffer.from(corrected.segments[1]!.labelmap).equals(Buffer.from(ai.lung))).toBe(true);
    const ds = data.DicomMetaDictionary.naturalizeDataset(data.DicomMessage.readFile(bytes.slice().buffer as ArrayBuffer).dict);
    expect(list(ds.SegmentSequence).map((s) => s.SegmentAlgorithmType)).toEqual(['SEMIAUTOMATIC', 'AUTOMATIC']);
    expect(ds.SeriesDescription).toBe('Corrected: covseg-unet 1.1.0 infection+lung');
    expect(ds.SeriesInstanceUID).not.toBe(ai.seriesInstanceUID);
    expect(list(ds.SourceImageSequence)[0].ReferencedSOPInstanceUID).toBe(ai.sopInstanceUID);

    const file = join(work, 'correction.dcm');
    writeFileSync(file, bytes);
    const run = spawnSync('/usr/bin/dciodvfy', [file], { encoding: 'utf8' });
    const report = `${run.stdout}${run.stderr}`;
    expect(report).toMatch(/Segmentation/);
    expect(report.split('\n').filter((l) => l.startsWith('Error'))).toEqual([]);
  });

  it('recomputes the figures from the corrected masks and keeps them in our records', async () => {
    const saved = await server.json<Array<{ id: string; reviewer: string; changedVoxels: number; quantification: { infectionMl: number; lungMl: number; involvementPercent: number; voxelVolumeMm3: number } }>>(
      `/api/corrections?series=${LIDC_SERIES}`,
    );
    expect(saved).toHaveLength(1);
    const q = saved[0]!.quantification;
    const count = (m: Uint8Array) => m.reduce((a, b) => a + b, 0);
    expect(q.infectionMl).toBeCloseTo((count(edited) * q.voxelVolumeMm3) / 1000, 6);
    expect(q.lungMl).toBeCloseTo((count(ai.lung) * q.voxelVolumeMm3) / 1000, 6);
    expect(q.involvementPercent).toBeCloseTo((count(edited) / count(ai.lung)) * 100, 6);
    let changed = 0;
    for (let i = 0; i < edited.length; i++) changed += edited[i] !== ai.infection[i] ? 1 : 0;
    expect(saved[0]!.changedVoxels).toBe(changed);
    expect(saved[0]!.reviewer).toBe('Reader 7');
  });

  it('stores a new TID 1500 SR with the recomputed figures, referencing the corrected SEG, that dciodvfy and dsrdump accept', async () => {
    const srs = await orthanc.findInstances({ Modality: 'SR' });
    expect(srs).toHaveLength(1);
    const bytes = await orthanc.downloadInstance(srs[0]!);
    const report = readMeasurementReportFile(bytes);
    expect(report.seriesDescription).toBe('Corrected: covseg-unet 1.1.0 measurements');
    expect(report.sourceSeriesInstanceUIDs).toEqual([LIDC_SERIES]);
    const count = (m: Uint8Array) => m.reduce((a, b) => a + b, 0);
    const saved = (await server.json<Array<{ quantification: { voxelVolumeMm3: number } }>>(`/api/corrections?series=${LIDC_SERIES}`))[0]!.quantification;
    const ml = (voxels: number) => Math.round(((voxels * saved.voxelVolumeMm3) / 1000) * 1000) / 1000;
    const percent = Math.round((count(edited) / count(ai.lung)) * 100 * 1000) / 1000;
    expect(report.groups.map((g) => ({ id: g.trackingIdentifier, seg: g.segSopInstanceUID, segment: g.segmentNumber, ml: g.volumeMl, percent: g.involvementPercent }))).toEqual([
      { id: 'Infection', seg: firstSave.segSopInstanceUID, segment: 1, ml: ml(count(edited)), percent },
      { id: 'Lung', seg: firstSave.segSopInstanceUID, segment: 2, ml: ml(count(ai.lung)), percent: undefined },
    ]);

    const file = join(work, 'correction-sr.dcm');
    writeFileSync(file, bytes);
    const run = spawnSync('/usr/bin/dciodvfy', [file], { encoding: 'utf8' });
    expect(`${run.stdout}${run.stderr}`).toMatch(/^Comprehensive3DSR$/m);
    expect(`${run.stdout}${run.stderr}`.split('\n').filter((l) => l.startsWith('Error'))).toEqual([]);
    const dump = spawnSync('dsrdump', ['+Pu', file], { encoding: 'utf8' });
    expect(dump.status).toBe(0);
    expect(dump.stdout).toContain('Imaging Measurement Report');
    expect(dump.stdout).toContain(firstSave.segSopInstanceUID);

    // The overlays show the correction with the SR's figures.
    const overlays = await server.json<{ segs: Array<{ segSopInstanceUID: string; quantification: { source: string; srSopInstanceUID?: string; infectionMl: number; involvementPercent: number } | null }> }>(
      `/api/overlays?endpointId=${server.pacsEndpointId}&study=${LIDC_STUDY}&series=${LIDC_SERIES}`,
    );
    const corrected = overlays.segs.find((s) => s.segSopInstanceUID === firstSave.segSopInstanceUID)!;
    expect(corrected.quantification).toMatchObject({ source: 'sr', srSopInstanceUID: srs[0], infectionMl: ml(count(edited)), involvementPercent: percent });
  });

  it('stores one object when the same edit is saved twice', async () => {
    const again = await server.request('/api/corrections', { method: 'POST', body: body(infectionSegment(edited)), headers: asToken(reviewer) });
    expect(again.status).toBe(200);
    const second = await again.json();
    expect(second).toMatchObject({ created: false, segSopInstanceUID: firstSave.segSopInstanceUID, id: firstSave.id });
    expect(await orthanc.findInstances({ Modality: 'SEG' })).toHaveLength(2);
    expect(await orthanc.findInstances({ Modality: 'SR' })).toHaveLength(1);
  });

  it('audits who saved what by token label, with UIDs and no patient data', async () => {
    const audit = await server.json<Array<{ actor: string; action: string; target: string; details: Record<string, unknown> }>>('/api/audit?limit=50');
    const saves = audit.filter((e) => e.action.startsWith('correction.save'));
    expect(saves.map((e) => e.action).sort()).toEqual(['correction.save', 'correction.save-again']);
    for (const entry of saves) {
      expect(entry.actor).toMatch(/^token:/);
      expect(entry.target).toBe(`seg:${firstSave.segSopInstanceUID}`);
      expect(entry.details).toMatchObject({ reviewer: 'Reader 7', derivedFromSopInstanceUID: ai.sopInstanceUID });
    }
    const patientName = String(data.DicomMetaDictionary.naturalizeDataset(data.DicomMessage.readFile(ai.bytes.slice().buffer as ArrayBuffer).dict).PatientID);
    expect(JSON.stringify(saves)).not.toContain(patientName);
  });

  it('refuses masks that do not fit: an unknown segment, a foreign slice, runs of the wrong length, an unchanged mask, a SEG not on the PACS', async () => {
    const post = (segments: unknown, overrides: Record<string, string> = {}) =>
      server.request('/api/corrections', { method: 'POST', body: JSON.stringify({ ...JSON.parse(body(segments)), ...overrides }), headers: asToken(reviewer) });
    expect((await post([{ segmentNumber: 9, slices: [] }])).status).toBe(422);
    // Whole segments exceed body-parser's 100 kB default: this route takes them (422 for the content, not 413).
    const big = await post([{ segmentNumber: 9, slices: ai.source.map((s) => ({ sopInstanceUID: s.sopInstanceUID, rle: 'A'.repeat(40_000) })) }]);
    expect(big.status).toBe(422);
    expect((await post([{ segmentNumber: 1, slices: [{ sopInstanceUID: '1.2.3.4', rle: sliceRuns(new Uint8Array(10).fill(1))! }] }])).status).toBe(422);
    const short = await post([{ segmentNumber: 1, slices: [{ sopInstanceUID: ai.source[3]!.sopInstanceUID, rle: sliceRuns(new Uint8Array(1000).fill(1, 10, 20))! }] }]);
    expect(short.status).toBe(422);
    expect((await short.json()).message).toMatch(/cover .* pixels/);
    expect((await post(infectionSegment(ai.infection))).status).toBe(422);
    expect((await post(infectionSegment(edited), { segSopInstanceUID: '2.25.999', segSeriesInstanceUID: '2.25.998' })).status).toBe(404);
    expect(await orthanc.findInstances({ Modality: 'SEG' })).toHaveLength(2);
  });

  it('records accept and reject per result, refuses them for a user token, and marks a rejected result hidden in the overlays', async () => {
    const review = (status: string, token: string) =>
      server.request('/api/reviews', {
        method: 'PUT',
        headers: asToken(token),
        body: JSON.stringify({ endpointId: server.pacsEndpointId, study: LIDC_STUDY, series: LIDC_SERIES, segSeriesInstanceUID: firstSave.segSeriesInstanceUID, segSopInstanceUID: firstSave.segSopInstanceUID, status }),
      });
    expect((await review('rejected', user)).status).toBe(403);
    expect((await review('rejected', reviewer)).status).toBe(200);
    const overlays = await server.json<{ segs: Array<{ segSopInstanceUID: string; kind: string; hiddenByDefault: boolean; review: { status: string; reviewer: string } | null }> }>(
      `/api/overlays?endpointId=${server.pacsEndpointId}&study=${LIDC_STUDY}&series=${LIDC_SERIES}`,
    );
    const bySop = new Map(overlays.segs.map((s) => [s.segSopInstanceUID, s]));
    expect(bySop.get(firstSave.segSopInstanceUID)).toMatchObject({ kind: 'correction', hiddenByDefault: true, review: { status: 'rejected', reviewer: 'Reader 7' } });
    // The AI result was corrected, and its correction is listed: hidden by default, marked corrected.
    expect(bySop.get(ai.sopInstanceUID)).toMatchObject({ kind: 'ai', hiddenByDefault: true, review: { status: 'corrected' } });
    // Still on the PACS.
    expect(await orthanc.findInstances({ Modality: 'SEG' })).toHaveLength(2);
    const reviews = await server.json<Array<{ segSopInstanceUID: string; status: string }>>(`/api/reviews?endpointId=${server.pacsEndpointId}&study=${LIDC_STUDY}`);
    expect(reviews.map((r) => r.status).sort()).toEqual(['corrected', 'rejected']);
  });
});
