import { describe, expect, it } from 'vitest';
import { enhancedCtFromClassic, type EnhancedCtOptions } from '../../../../tests/factories/enhanced-ct.factory';
import { SeriesFactory } from '../../../../tests/factories/series.factory';
import { SeriesRejectedError, type SeriesRejectionReason } from '../errors';
import { parseDicom } from '../parsing/parse-dicom';
import { readSeg } from '../seg/seg-reader';
import { writeBinarySeg } from '../seg/seg-writer';
import { SegmentCodes } from '../seg/seg-codes';
import { buildCtVolume } from './build-ct-volume';

type Groups = Record<string, Array<Record<string, unknown>>>;

async function enhanced(factory: SeriesFactory, options?: EnhancedCtOptions) {
  const series = factory.build();
  const built = await enhancedCtFromClassic(series.files, options);
  return { series, built, instance: parseDicom(built.bytes) };
}

async function rejection(promise: Promise<unknown>): Promise<{ reason: SeriesRejectionReason; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SeriesRejectedError);
  return { reason: (error as SeriesRejectedError).reason, message: (error as Error).message };
}

describe('buildCtVolume on Enhanced CT', () => {
  it.each(['enhanced', 'legacy-converted'] as const)('builds the same HU volume and geometry from a %s instance as from the classic series', async (sopClass) => {
    const factory = SeriesFactory.ct().slices(9).size(16, 24).pixelSpacingMm(0.5, 0.75).sliceSpacingMm(2.5).origin([10, 20, -50]).withHu((x, y, z) => x + 10 * y - 40 * z);
    const { series, built, instance } = await enhanced(factory, { sopClass });
    expect(instance.frames()).toBe(9);
    const classic = await buildCtVolume(series.files.map((f) => parseDicom(f)));
    const volume = await buildCtVolume([instance]);
    expect(Array.from(volume.hu)).toEqual(Array.from(classic.hu));
    expect(volume.geometry).toEqual(classic.geometry);
    expect(volume.seriesInstanceUID).toBe(built.seriesInstanceUID);
    expect(volume.frameOfReferenceUID).toBe(classic.frameOfReferenceUID);
    // Every slice names the one instance and its own frame, in volume order.
    expect(volume.slices.map((s) => s.sopInstanceUID)).toEqual(Array(9).fill(built.sopInstanceUID));
    expect(volume.slices.map((s) => s.sopClassUID)).toEqual(Array(9).fill(built.sopClassUID));
    expect(volume.slices.map((s) => s.referencedFrameNumber)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The header the SEG copies carries the lifted geometry, not the functional groups.
    expect(volume.header).toMatchObject({ Rows: 16, Columns: 24, PixelSpacing: [0.5, 0.75], ImageOrientationPatient: [1, 0, 0, 0, 1, 0] });
    expect(volume.header.PerFrameFunctionalGroupsSequence).toBeUndefined();
    expect(volume.header.NumberOfFrames).toBeUndefined();
  });

  it('sorts frames along the normal whatever their order in the instance', async () => {
    const { built, instance } = await enhanced(SeriesFactory.ct().slices(8).withHu((x, y, z) => z * 100 - 1000), { frameOrder: 'reversed' });
    const volume = await buildCtVolume([instance]);
    expect(volume.slices.map((s) => s.referencedFrameNumber)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(volume.hu[volume.geometry.rows * volume.geometry.columns * 3]).toBe(-700);
    expect(built.frameSources).toHaveLength(8);
  });

  it('applies a per-frame RescaleSlope and RescaleIntercept from the Pixel Value Transformation group', async () => {
    const { series, instance } = await enhanced(SeriesFactory.ct().slices(8).rescale(0.5, -1000).withHu((x) => x * 3 - 900));
    expect(Array.from((await buildCtVolume([instance])).hu)).toEqual(Array.from(series.hu));
  });

  it('refuses a frame without a plane position as mixed-geometry, naming the frame', async () => {
    const { instance } = await enhanced(SeriesFactory.ct().slices(8), { modify: (ds) => delete (ds.PerFrameFunctionalGroupsSequence as Groups[])[3]!.PlanePositionSequence });
    const { reason, message } = await rejection(buildCtVolume([instance]));
    expect(reason).toBe('mixed-geometry');
    expect(message).toContain(`frame 4 of SOP Instance ${instance.sopInstanceUID}`);
  });

  it('refuses two frames at one position as duplicate-position and a gap as mixed-geometry', async () => {
    const position = (z: number) => (ds: Record<string, unknown>) => (((ds.PerFrameFunctionalGroupsSequence as Groups[])[z]!.PlanePositionSequence![0]!.ImagePositionPatient as number[])[2] = -100 + 2.5 * (z - 1));
    expect((await rejection(buildCtVolume([(await enhanced(SeriesFactory.ct().slices(8), { modify: position(4) })).instance]))).reason).toBe('duplicate-position');
    const gap = (ds: Record<string, unknown>) => (ds.PerFrameFunctionalGroupsSequence as Groups[]).forEach((g, z) => z >= 4 && ((g.PlanePositionSequence![0]!.ImagePositionPatient as number[])[2] += 2.5));
    expect((await rejection(buildCtVolume([(await enhanced(SeriesFactory.ct().slices(8), { modify: gap })).instance]))).reason).toBe('mixed-geometry');
  });

  it('refuses a frame whose FrameType says LOCALIZER, and a declared tilt in the CT Acquisition Details group', async () => {
    const localizer = (ds: Record<string, unknown>) => ((ds.PerFrameFunctionalGroupsSequence as Groups[])[2]!.CTImageFrameTypeSequence![0]!.FrameType = ['ORIGINAL', 'PRIMARY', 'LOCALIZER', 'NONE']);
    expect((await rejection(buildCtVolume([(await enhanced(SeriesFactory.ct().slices(8), { modify: localizer })).instance]))).reason).toBe('localizer');
    const tilt = (ds: Record<string, unknown>) => ((ds.SharedFunctionalGroupsSequence as Groups[])[0]!.CTAcquisitionDetailsSequence![0]!.GantryDetectorTilt = 12);
    expect((await rejection(buildCtVolume([(await enhanced(SeriesFactory.ct().slices(8), { modify: tilt })).instance]))).reason).toBe('gantry-tilt');
  });

  it('refuses a frame without rescale rather than guessing', async () => {
    const noRescale = (ds: Record<string, unknown>) => delete (ds.PerFrameFunctionalGroupsSequence as Groups[])[5]!.PixelValueTransformationSequence;
    const { reason, message } = await rejection(buildCtVolume([(await enhanced(SeriesFactory.ct().slices(8), { modify: noRescale })).instance]));
    expect(reason).toBe('missing-rescale');
    expect(message).toContain('frame 6 of SOP Instance');
  });

  it('refuses per-frame groups that do not match NumberOfFrames', async () => {
    const drop = (ds: Record<string, unknown>) => (ds.PerFrameFunctionalGroupsSequence as Groups[]).pop();
    const { reason, message } = await rejection(buildCtVolume([(await enhanced(SeriesFactory.ct().slices(8), { modify: drop })).instance]));
    expect(reason).toBe('mixed-geometry');
    expect(message).toMatch(/8 frame\(s\) but 7 PerFrameFunctionalGroupsSequence/);
  });

  it('counts frames, not instances, against minSlices', async () => {
    const { instance } = await enhanced(SeriesFactory.ct().slices(5));
    const { reason, message } = await rejection(buildCtVolume([instance]));
    expect(reason).toBe('too-few-slices');
    expect(message).toContain('5 slice(s) (from 1 instance(s))');
    expect((await buildCtVolume([instance], { minSlices: 5 })).geometry.slices).toBe(5);
  });
});

describe('the refusal states its real reason', () => {
  it('refuses a single MR image as not-ct, not as too few slices', async () => {
    const [mr] = SeriesFactory.ct().slices(1).withModality('MR').build().files;
    const { reason } = await rejection(buildCtVolume([parseDicom(mr!)]));
    expect(reason).toBe('not-ct');
  });

  it('refuses a single localizer as localizer, and an image without pixels as missing-pixel-data', async () => {
    const scout = SeriesFactory.ct().slices(1).modify((ds) => (ds.ImageType = ['ORIGINAL', 'PRIMARY', 'LOCALIZER'])).build().files[0]!;
    expect((await rejection(buildCtVolume([parseDicom(scout)]))).reason).toBe('localizer');
    const noImage = SeriesFactory.ct().slices(2).modify((ds) => ['PixelData', 'Rows', 'Columns', 'BitsAllocated'].forEach((k) => delete ds[k])).build().files[0]!;
    expect((await rejection(buildCtVolume([parseDicom(noImage)]))).reason).toBe('missing-pixel-data');
  });

  it('refuses a multi-frame image of the single-frame CT Image Storage class for that, not for its slice count', async () => {
    const twoFrames = SeriesFactory.ct()
      .slices(1)
      .modify((ds) => Object.assign(ds, { NumberOfFrames: 2, PixelData: new Int16Array(2 * 32 * 32).buffer }))
      .build().files[0]!;
    const { reason, message } = await rejection(buildCtVolume([parseDicom(twoFrames)]));
    expect(reason).toBe('mixed-geometry');
    expect(message).toMatch(/has 2 frames but SOP Class 1\.2\.840\.10008\.5\.1\.4\.1\.1\.2 is single-frame/);
  });

  it('refuses an Enhanced CT instance of an MR series as not-ct before expanding its frames', async () => {
    const { instance } = await enhanced(SeriesFactory.ct().slices(3), { modify: (ds) => (ds.Modality = 'MR') });
    expect((await rejection(buildCtVolume([instance]))).reason).toBe('not-ct');
  });
});

describe('a SEG over an Enhanced CT source', () => {
  it('references each frame with ReferencedFrameNumber and the instance once, and reads back onto the right frames', async () => {
    const { instance, built } = await enhanced(SeriesFactory.ct().slices(8), { frameOrder: 'reversed' });
    const volume = await buildCtVolume([instance]);
    const labelmap = new Uint8Array(volume.hu.length);
    const sliceLength = volume.geometry.rows * volume.geometry.columns;
    labelmap.fill(1, 2 * sliceLength, 2 * sliceLength + 10); // slice 2 in volume order = frame 6
    const seg = writeBinarySeg({
      sourceSlices: volume.slices,
      header: volume.header,
      algorithm: { name: 'test', version: '1' },
      segments: [{ label: 'Lesion', category: SegmentCodes.morphologicallyAbnormalStructure, type: SegmentCodes.lesion, labelmap }],
    });
    const dataset = parseDicom(seg.bytes).dataset as {
      ReferencedSeriesSequence: Array<{ ReferencedInstanceSequence: Array<Record<string, unknown>> }>;
      PerFrameFunctionalGroupsSequence: Array<{ DerivationImageSequence: Array<{ SourceImageSequence: Array<Record<string, unknown>> }> }>;
    };
    expect(dataset.ReferencedSeriesSequence[0]!.ReferencedInstanceSequence).toEqual([
      expect.objectContaining({ ReferencedSOPInstanceUID: built.sopInstanceUID, ReferencedSOPClassUID: built.sopClassUID }),
    ]);
    const frameRefs = dataset.PerFrameFunctionalGroupsSequence.map((g) => g.DerivationImageSequence[0]!.SourceImageSequence[0]!);
    expect(frameRefs.map((r) => r.ReferencedFrameNumber)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(frameRefs.every((r) => r.ReferencedSOPInstanceUID === built.sopInstanceUID)).toBe(true);

    // Read back against the source and without it: the marked voxels land on frame 6 either way.
    const withSource = readSeg(seg.bytes, volume.slices);
    expect(Array.from(withSource.segments[0]!.labelmap)).toEqual(Array.from(labelmap));
    const alone = readSeg(seg.bytes);
    expect(alone.slices.map((s) => s.referencedFrameNumber)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(Array.from(alone.segments[0]!.labelmap)).toEqual(Array.from(labelmap));
  });
});
