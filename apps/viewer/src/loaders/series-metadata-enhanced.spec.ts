import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSeriesMetadata, SeriesMetadataError, sliceKeyOf } from './series-metadata';

type DicomJson = Record<string, { vr: string; Value?: unknown[] } | undefined>;

// Orthanc 1.10 + DICOMweb 1.7 answers for factory-made Enhanced / Legacy Converted CT of 3 LIDC slices
// (tests/fixtures/dicomweb/ATTRIBUTION.md): functional groups inline, frames at z -190, -187.5, -185.
const fixture = (name: string): DicomJson[] => JSON.parse(readFileSync(resolve(__dirname, '../../../../tests/fixtures/dicomweb', name), 'utf8')) as DicomJson[];
const enhanced = () => fixture('orthanc-enhanced-ct-3-frames.metadata.json');
const legacy = () => fixture('orthanc-legacy-converted-ct-3-frames.metadata.json');

const PER_FRAME = '52009230';
const SHARED = '52009229';
const uidOf = (d: DicomJson) => String(d['00080018']!.Value![0]);
const perFrame = (d: DicomJson) => d[PER_FRAME]!.Value as DicomJson[];
const shared = (d: DicomJson) => (d[SHARED]!.Value as DicomJson[])[0]!;
const seq = (item: DicomJson): { vr: string; Value: DicomJson[] } => ({ vr: 'SQ', Value: [item] });
const ds = (...values: number[]) => ({ vr: 'DS', Value: values });

describe('opening an Enhanced CT series as one stack slice per frame', () => {
  it.each([
    ['Enhanced CT', enhanced],
    ['Legacy Converted Enhanced CT', legacy],
  ])('gives each frame of an Orthanc-served %s its slice, frame URL, position, spacing, rescale and window', (_name, load) => {
    const [instance] = load();
    const sop = uidOf(instance!);
    const slices = parseSeriesMetadata(load(), '/api/dicomweb/e', '1.9', '1.8');
    expect(slices).toHaveLength(3);
    expect(slices.map((s) => s.frameNumber)).toEqual([1, 2, 3]);
    expect(slices.map((s) => s.frameUrl)).toEqual([1, 2, 3].map((n) => `/api/dicomweb/e/studies/1.9/series/1.8/instances/${sop}/frames/${n}`));
    expect(slices.map((s) => s.position)).toEqual([
      [-166, -171.699997, -190],
      [-166, -171.699997, -187.5],
      [-166, -171.699997, -185],
    ]);
    expect(slices.map((s) => s.location)).toEqual([-190, -187.5, -185]);
    for (const slice of slices) {
      expect(slice).toMatchObject({ sopInstanceUID: sop, rows: 512, columns: 512, bitsAllocated: 16, pixelRepresentation: 1, pixelSpacing: [0.703125, 0.703125], rescaleSlope: 1, rescaleIntercept: -1024, windowCenter: -600, windowWidth: 1500 });
    }
    expect(slices.map((s) => sliceKeyOf(s.sopInstanceUID, s.frameNumber))).toEqual([`${sop}#1`, `${sop}#2`, `${sop}#3`]);
  });

  it('sorts frames stored head to foot along the slice normal, each keeping its own frame number', () => {
    const [instance] = enhanced();
    perFrame(instance!).reverse();
    const slices = parseSeriesMetadata([instance!], '/r', '1', '2');
    expect(slices.map((s) => s.location)).toEqual([-190, -187.5, -185]);
    expect(slices.map((s) => s.frameNumber)).toEqual([3, 2, 1]);
    expect(slices[0]!.frameUrl).toMatch(/\/frames\/3$/);
  });

  it('interleaves the frames of two multi-frame instances of one series by position', () => {
    const [a] = enhanced();
    const [b] = legacy();
    // b's frames half a slice above a's: the stack alternates a, b, a, b, ...
    for (const item of perFrame(b!)) {
      const position = (item['00209113']!.Value as DicomJson[])[0]!['00200032']!;
      position.Value = [-166, -171.699997, Number(position.Value![2]) + 1.25];
    }
    const slices = parseSeriesMetadata([b!, a!], '/r', '1', '2');
    expect(slices.map((s) => [s.sopInstanceUID === uidOf(a!) ? 'a' : 'b', s.frameNumber])).toEqual([
      ['a', 1],
      ['b', 1],
      ['a', 2],
      ['b', 2],
      ['a', 3],
      ['b', 3],
    ]);
  });

  it('takes a per-frame functional group over the shared one, and the shared one where the frame has none', () => {
    const [instance] = enhanced();
    const frames = perFrame(instance!);
    // Shared: a rescale no frame uses (every frame has its own) and a window every frame inherits ...
    shared(instance!)['00289145'] = seq({ '00281052': ds(-2048), '00281053': ds(2) });
    // ... except frame 2, whose own window and pixel measures win.
    frames[1]!['00289132'] = seq({ '00281050': ds(40), '00281051': ds(400) });
    frames[1]!['00289110'] = seq({ '00280030': ds(0.5, 0.6), '00180050': ds(1) });
    // Frame 3 loses its rescale: the shared one applies.
    delete frames[2]!['00289145'];
    const slices = parseSeriesMetadata([instance!], '/r', '1', '2');
    expect(slices.map((s) => [s.rescaleSlope, s.rescaleIntercept])).toEqual([
      [1, -1024],
      [1, -1024],
      [2, -2048],
    ]);
    expect(slices.map((s) => [s.windowCenter, s.windowWidth])).toEqual([
      [-600, 1500],
      [40, 400],
      [-600, 1500],
    ]);
    expect(slices.map((s) => s.pixelSpacing)).toEqual([
      [0.703125, 0.703125],
      [0.5, 0.6],
      [0.703125, 0.703125],
    ]);
  });

  it('never gives every frame a stray top-level ImagePositionPatient', () => {
    const [instance] = enhanced();
    instance!['00200032'] = ds(0, 0, 999);
    expect(parseSeriesMetadata([instance!], '/r', '1', '2').map((s) => s.location)).toEqual([-190, -187.5, -185]);
  });

  it('orders frames without positions by InstanceNumber, then frame number', () => {
    const [instance] = enhanced();
    for (const item of perFrame(instance!)) delete item['00209113'];
    const slices = parseSeriesMetadata([instance!], '/r', '1', '2');
    expect(slices.map((s) => s.position)).toEqual([undefined, undefined, undefined]);
    expect(slices.map((s) => s.frameNumber)).toEqual([1, 2, 3]);
  });

  it('refuses per-frame groups that do not match NumberOfFrames, a multi-frame image without groups, and frames of different sizes', () => {
    const short = enhanced()[0]!;
    perFrame(short).pop();
    expect(() => parseSeriesMetadata([short], '/r', '1', '2')).toThrow(/has 3 frame\(s\) but 2 per-frame functional group item\(s\)/);

    const bare = enhanced()[0]!;
    delete bare[PER_FRAME];
    delete bare[SHARED];
    expect(() => parseSeriesMetadata([bare], '/r', '1', '2')).toThrow(/has 3 frames but no functional groups/);

    const [a] = enhanced();
    const [b] = legacy();
    b!['00280010'] = { vr: 'US', Value: [256] };
    expect(() => parseSeriesMetadata([a!, b!], '/r', '1', '2')).toThrow(SeriesMetadataError);
    expect(() => parseSeriesMetadata([a!, b!], '/r', '1', '2')).toThrow(/different sizes \(512x512 and 256x512\)/);
  });
});
