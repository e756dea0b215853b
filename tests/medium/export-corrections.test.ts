import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCtVolume, parseDicom, type CtVolume } from '@covseg/dicom';
import { decodeGrayImage, SegmentationModel, segmentVolume, windowToUint8, type PixelRect } from '@covseg/segmentation';
import { OrthancInstance } from '../support/orthanc';
import { aiSegOverLidc, issueToken, LIDC_SERIES, LIDC_STUDY, sliceRuns, type AiSegFixture } from '../support/review-fixture';
import { startInProcessServer, type TestServer } from '../support/server';
import { segmentationInputOf } from '../../apps/server/src/jobs/pipeline/segment-volume.step';

const SLICES = 8;
const repoRoot = resolve(__dirname, '../..');
const MODEL = join(repoRoot, 'models/covseg-unet.onnx');

interface Pair {
  name: string;
  reason: string;
  correctionId: string;
  sourceSopInstanceUID: string;
  sliceIndex: number;
  segSopInstanceUID: string;
  segSeriesInstanceUID: string;
  derivedFromSopInstanceUID: string;
  modelVersion: string;
  reviewer: string;
  correctedAt: string;
  frame: PixelRect;
}

describe('npm run export-corrections: saved corrections become framed training pairs', () => {
  let orthanc: OrthancInstance;
  let server: TestServer;
  let ai: AiSegFixture;
  let work: string;
  let edited: Uint8Array;
  let volume: CtVolume;
  let serverFrames: (PixelRect | null)[];
  let saved: { id: string; segSopInstanceUID: string; segSeriesInstanceUID: string; createdAt: string };
  let summary: Record<string, unknown>;
  let manifest: { format: number; framing: Record<string, unknown>; corrections: Array<Record<string, unknown>>; pairs: Pair[] };

  const exportTo = (out: string, env: Record<string, string> = server.env) =>
    spawnSync(process.execPath, ['scripts/run-ts.mjs', 'apps/server/src/review/export/export-corrections.cli.ts', '--out', out], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });

  beforeAll(async () => {
    ai = aiSegOverLidc(SLICES);
    orthanc = await OrthancInstance.start();
    await orthanc.upload([...ai.paths, ai.bytes]);
    server = await startInProcessServer({ dicomwebUrl: orthanc.dicomwebUrl });
    const reviewer = await issueToken(server, 'reviewer', 'Reader 7');
    work = mkdtempSync(join(tmpdir(), 'covseg-export-corrections-'));
    // The AI found a disc on slices 2-5. The reader erases slice 2, adds a block to slice 4 and a new lesion on slice 6.
    const perSlice = ai.rows * ai.columns;
    edited = ai.infection.slice();
    edited.fill(0, 2 * perSlice, 3 * perSlice);
    for (let y = 300; y < 310; y++) edited.fill(1, 4 * perSlice + y * ai.columns + 300, 4 * perSlice + y * ai.columns + 320);
    for (let y = 250; y < 270; y++) edited.fill(1, 6 * perSlice + y * ai.columns + 320, 6 * perSlice + y * ai.columns + 345);
    const slices = ai.source
      .map((s, z) => ({ sopInstanceUID: s.sopInstanceUID, rle: sliceRuns(edited.subarray(z * perSlice, (z + 1) * perSlice)) }))
      .filter((s) => s.rle);
    const response = await server.request('/api/corrections', {
      method: 'POST',
      headers: { authorization: `Bearer ${reviewer}` },
      body: JSON.stringify({ endpointId: server.pacsEndpointId, study: LIDC_STUDY, series: LIDC_SERIES, segSeriesInstanceUID: ai.seriesInstanceUID, segSopInstanceUID: ai.sopInstanceUID, segments: [{ segmentNumber: 1, slices }] }),
    });
    expect(response.status).toBe(201);
    saved = await response.json();

    const run = exportTo(join(work, 'out'));
    expect(run.status, run.stderr).toBe(0);
    summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    manifest = JSON.parse(readFileSync(join(work, 'out', 'manifest.json'), 'utf8'));

    // The server's own framing of these slices: the frames segmentVolume (the job pipeline) fed the model.
    volume = await buildCtVolume(ai.paths.map((p) => parseDicom(new Uint8Array(readFileSync(p)))));
    const model = await SegmentationModel.load(MODEL, { intraOpThreads: 1 });
    try {
      serverFrames = (
        await segmentVolume(model, segmentationInputOf(volume))
      ).frames;
    } finally {
      await model.release();
    }
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    orthanc?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('exports the corrected infected slices and the slice the reader emptied, each once', () => {
    const expected = [
      { z: 2, reason: 'emptied' },
      { z: 3, reason: 'infection' },
      { z: 4, reason: 'infection' },
      { z: 5, reason: 'infection' },
      { z: 6, reason: 'infection' },
    ].filter(({ z }) => serverFrames[z]);
    // A corrected slice with too little lung for the model (CONTRACTS.md §1) is left out, as serving skips it.
    expect(expected.length).toBeGreaterThanOrEqual(3);
    expect(expected.map((e) => e.reason)).toContain('emptied'); // the fixture slices hold enough lung to be framed
    expect(manifest.pairs.map((p) => ({ z: p.sliceIndex, reason: p.reason }))).toEqual(expected);
    expect(summary).toMatchObject({ corrections: 1, failed: 0, pairs: expected.length, framing: 'covseg-unet 1.3.0' });
    expect(manifest.corrections).toEqual([expect.objectContaining({ correctionId: saved.id, pairs: expected.length, slicesWithoutFrame: 5 - expected.length, emptiedKnown: true })]);
  });

  it('writes each image as the server frames that slice for the model, and its mask as the corrected SEG frame cropped the same way', async () => {
    const { rows, columns } = volume.geometry;
    const plane = rows * columns;
    for (const pair of manifest.pairs) {
      const frame = serverFrames[pair.sliceIndex]!;
      expect(pair.frame).toEqual(frame);
      const image = await decodeGrayImage(new Uint8Array(readFileSync(join(work, 'out', 'images', `${pair.name}.png`))));
      const mask = await decodeGrayImage(new Uint8Array(readFileSync(join(work, 'out', 'masks', `${pair.name}.png`))));
      expect([image.width, image.height, mask.width, mask.height]).toEqual([frame.width, frame.height, frame.width, frame.height]);
      const grey = windowToUint8(volume.hu.subarray(pair.sliceIndex * plane, (pair.sliceIndex + 1) * plane), -600, 1500);
      const wantImage = new Uint8Array(frame.width * frame.height);
      const wantMask = new Uint8Array(frame.width * frame.height);
      for (let y = 0; y < frame.height; y++) {
        for (let x = 0; x < frame.width; x++) {
          const i = (frame.y + y) * columns + frame.x + x;
          wantImage[y * frame.width + x] = grey[i]!;
          wantMask[y * frame.width + x] = edited[pair.sliceIndex * plane + i]! * 255;
        }
      }
      expect(Buffer.from(image.pixels).equals(Buffer.from(wantImage)), pair.name).toBe(true);
      expect(Buffer.from(mask.pixels).equals(Buffer.from(wantMask)), pair.name).toBe(true);
      expect(wantMask.some((v) => v > 0)).toBe(pair.reason === 'infection');
      expect(statSync(join(work, 'out', 'images', `${pair.name}.png`)).mode & 0o077).toBe(0);
    }
  });

  it('records the provenance of every pair by UID, reviewer label, model and date, without patient data', () => {
    for (const pair of manifest.pairs) {
      expect(pair).toMatchObject({
        correctionId: saved.id,
        segSopInstanceUID: saved.segSopInstanceUID,
        segSeriesInstanceUID: saved.segSeriesInstanceUID,
        derivedFromSopInstanceUID: ai.sopInstanceUID,
        sourceSopInstanceUID: volume.slices[pair.sliceIndex]!.sopInstanceUID,
        modelVersion: 'covseg-unet 1.1.0',
        reviewer: 'Reader 7',
        correctedAt: saved.createdAt,
      });
    }
    expect(manifest.framing).toMatchObject({ name: 'covseg-unet', version: '1.3.0', windowCenter: -600, windowWidth: 1500 });
    const csv = readFileSync(join(work, 'out', 'manifest.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(manifest.pairs.length + 1);
    const header = volume.header as Record<string, unknown>;
    const text = JSON.stringify(manifest) + csv.join('\n');
    for (const key of ['PatientName', 'PatientID', 'PatientBirthDate']) {
      const value = String(header[key] ?? '').trim();
      if (value.length > 2) expect(text).not.toContain(value);
    }
  });

  it('is read by training/ as a fine-tuning folder', () => {
    const run = spawnSync(
      '/usr/bin/python3',
      ['-c', 'import sys, json; from pathlib import Path; from covseg_training.finetune import load_corrections; s = load_corrections(Path(sys.argv[1])); print(json.dumps([[x.name, int(x.mask.sum())] for x in s]))', join(work, 'out')],
      { cwd: join(repoRoot, 'training'), encoding: 'utf8', timeout: 120_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    const loaded = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Array<[string, number]>;
    expect(loaded.map(([name]) => name)).toEqual(manifest.pairs.map((p) => `correction-${p.name}`));
  });

  it('is fine-tuned on by training/: a tiny model trained briefly, then fine-tuned on this very export', () => {
    // The CLI's real output (not a hand-made folder) through training's fine-tune entry point, as a
    // hospital would run it; the starting checkpoint is a tiny U-Net trained for one epoch on synthetic slices.
    const script = [
      'import json, sys, tempfile, contextlib, io',
      'from pathlib import Path',
      'from covseg_training import final_cli, finetune',
      'from tests.test_training_end_to_end import TINY, write_synthetic_dataset',
      'tmp = Path(tempfile.mkdtemp(prefix="covseg-ft-export-"))',
      'write_synthetic_dataset(tmp / "base", count=4, seed=1)',
      'with contextlib.redirect_stdout(io.StringIO()):',
      '    final_cli.main(["--data", str(tmp / "base"), "--out", str(tmp / "init"), "--epochs", "1", "--snapshot-every", "0", *TINY])',
      'finetune.main(["--corrections", sys.argv[1], "--init", str(tmp / "init" / "last.pt"), "--out", str(tmp / "ft"), "--epochs", "2", "--threads", "1"])',
      'print(json.dumps({"checkpoint": (tmp / "ft" / "last.pt").is_file()}))',
    ].join('\n');
    const run = spawnSync('/usr/bin/python3', ['-c', script, join(work, 'out')], { cwd: join(repoRoot, 'training'), encoding: 'utf8', timeout: 600_000 });
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    const report = JSON.parse(lines.at(-2)!) as { corrections: number; epochs: number; last: Record<string, number> };
    expect(report.corrections).toBe(manifest.pairs.length);
    expect(report.epochs).toBe(2);
    expect(Number.isFinite(report.last.train_loss)).toBe(true);
    expect(JSON.parse(lines.at(-1)!)).toEqual({ checkpoint: true });
  }, 660_000);

  it('replaces a previous export in place, with the same pairs', () => {
    writeFileSync(join(work, 'out', 'images', 'stale.png'), 'left from an older export');
    const again = exportTo(join(work, 'out'));
    expect(again.status, again.stderr).toBe(0);
    const second = JSON.parse(readFileSync(join(work, 'out', 'manifest.json'), 'utf8')) as typeof manifest;
    expect(second.pairs).toEqual(manifest.pairs);
    expect(readdirSync(join(work, 'out', 'images')).sort()).toEqual(manifest.pairs.map((p) => `${p.name}.png`).sort());
  });

  it('exports only the newest correction when a reader corrects a correction', async () => {
    const perSlice = ai.rows * ai.columns;
    const final = edited.slice();
    final.fill(0, 6 * perSlice, 7 * perSlice); // the second reader removes the lesion the first one added on slice 6
    const slices = ai.source
      .map((s, z) => ({ sopInstanceUID: s.sopInstanceUID, rle: sliceRuns(final.subarray(z * perSlice, (z + 1) * perSlice)) }))
      .filter((s) => s.rle);
    const second = await server.request('/api/corrections', {
      method: 'POST',
      headers: { authorization: `Bearer ${await issueToken(server, 'reviewer', 'Reader 9')}` },
      body: JSON.stringify({ endpointId: server.pacsEndpointId, study: LIDC_STUDY, series: LIDC_SERIES, segSeriesInstanceUID: saved.segSeriesInstanceUID, segSopInstanceUID: saved.segSopInstanceUID, segments: [{ segmentNumber: 1, slices }] }),
    });
    expect(second.status).toBe(201);
    const secondId = ((await second.json()) as { id: string }).id;
    const run = exportTo(join(work, 'chain'));
    expect(run.status, run.stderr).toBe(0);
    const chain = JSON.parse(readFileSync(join(work, 'chain', 'manifest.json'), 'utf8')) as typeof manifest;
    expect(chain.corrections).toEqual([
      expect.objectContaining({ correctionId: saved.id, pairs: 0, supersededBy: secondId }),
      expect.objectContaining({ correctionId: secondId, emptiedKnown: true }),
    ]);
    expect(new Set(chain.pairs.map((p) => p.correctionId))).toEqual(new Set([secondId]));
    expect(chain.pairs.every((p) => p.reviewer === 'Reader 9' && p.derivedFromSopInstanceUID === saved.segSopInstanceUID)).toBe(true);
    // Slice 6 (if framed) now goes out as emptied: the SEG it corrected had infection there.
    const six = chain.pairs.find((p) => p.sliceIndex === 6);
    if (serverFrames[6]) expect(six?.reason).toBe('emptied');
    else expect(six).toBeUndefined();
  });

  it('refuses a DATA_DIR without a server database and a folder that is not an export', () => {
    const none = exportTo(join(work, 'elsewhere'), { ...server.env, DATA_DIR: join(work, 'no-data') });
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/no server database/);
    const other = join(work, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'not an export');
    const busy = exportTo(other);
    expect(busy.status).toBe(1);
    expect(busy.stderr).toMatch(/neither empty nor a previous export/);
    expect(readFileSync(join(other, 'notes.txt'), 'utf8')).toBe('not an export');
  });
});
