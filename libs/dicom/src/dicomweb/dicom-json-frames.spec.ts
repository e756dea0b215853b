import { describe, expect, it } from 'vitest';

import { type DicomJsonDataset, getJsonNumber, getJsonValues, tagOfKeyword } from './dicom-json';
import { jsonFramesOf } from './dicom-json-frames';

type Attributes = Record<string, unknown>;

/** DICOM JSON from keyword → values (a nested object is one sequence item). */
function json(attributes: Attributes): DicomJsonDataset {
  return Object.fromEntries(
    Object.entries(attributes).map(([keyword, value]) => [tagOfKeyword(keyword), Array.isArray(value) ? { vr: 'DS', Value: value } : { vr: 'SQ', Value: [json(value as Attributes)] }]),
  ) as DicomJsonDataset;
}

/** Two frames: position per frame; orientation and window shared; rescale shared but overridden by frame 2. */
const enhanced = () =>
  json({
    NumberOfFrames: [2],
    ImagePositionPatient: [0, 0, 999], // a stray top-level copy no frame may inherit
    SharedFunctionalGroupsSequence: {
      PlaneOrientationSequence: { ImageOrientationPatient: [1, 0, 0, 0, 1, 0] },
      PixelValueTransformationSequence: { RescaleSlope: [1], RescaleIntercept: [-1024] },
      FrameVOILUTSequence: { WindowCenter: [-600], WindowWidth: [1500] },
    },
    PerFrameFunctionalGroupsSequence: [] as unknown as Attributes,
  });

function withFrames(dataset: DicomJsonDataset, frames: Attributes[]): DicomJsonDataset {
  dataset[tagOfKeyword('PerFrameFunctionalGroupsSequence')] = { vr: 'SQ', Value: frames.map(json) };
  return dataset;
}

describe('jsonFramesOf (WADO-RS metadata of Enhanced images)', () => {
  it('gives each frame its per-frame groups over the shared ones, never a top-level position', () => {
    const frames = jsonFramesOf(
      withFrames(enhanced(), [
        { PlanePositionSequence: { ImagePositionPatient: [0, 0, -5] } },
        { PlanePositionSequence: { ImagePositionPatient: [0, 0, 0] }, PixelValueTransformationSequence: { RescaleSlope: [2], RescaleIntercept: [-2048] } },
      ]),
    )!;
    expect(frames.map((f) => f.frameNumber)).toEqual([1, 2]);
    expect(frames.map((f) => getJsonValues(f.dataset, 'ImagePositionPatient'))).toEqual([
      [0, 0, -5],
      [0, 0, 0],
    ]);
    expect(frames.map((f) => [getJsonNumber(f.dataset, 'RescaleSlope'), getJsonNumber(f.dataset, 'RescaleIntercept')])).toEqual([
      [1, -1024],
      [2, -2048],
    ]);
    expect(frames.map((f) => getJsonValues(f.dataset, 'ImageOrientationPatient'))).toEqual([
      [1, 0, 0, 0, 1, 0],
      [1, 0, 0, 0, 1, 0],
    ]);
    expect(frames.map((f) => getJsonNumber(f.dataset, 'WindowCenter'))).toEqual([-600, -600]);
    expect(frames[0]!.dataset[tagOfKeyword('PerFrameFunctionalGroupsSequence')]).toBeUndefined();
  });

  it('returns a classic instance alone and unchanged, and undefined when the per-frame items do not match NumberOfFrames', () => {
    const classic = json({ ImagePositionPatient: [0, 0, 1] });
    expect(jsonFramesOf(classic)).toEqual([{ dataset: classic, frameNumber: undefined }]);
    expect(jsonFramesOf(withFrames(enhanced(), [{ PlanePositionSequence: { ImagePositionPatient: [0, 0, 0] } }]))).toBeUndefined();
  });
});
