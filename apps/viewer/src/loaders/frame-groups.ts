/**
 * The frames of an Enhanced (multi-frame) image in WADO-RS metadata (DICOM JSON, PS3.18 F.2), each with
 * its functional group attributes lifted to where a classic image has them. The viewer reaches the
 * server only over HTTP, so this mirrors libs/dicom's jsonFramesOf (dicomweb/dicom-json-frames.ts) on
 * the same rules; keep the two lists in step.
 */

export type DicomJson = Record<string, { vr: string; Value?: unknown[] } | undefined>;

const PER_FRAME_GROUPS = '52009230';
const SHARED_GROUPS = '52009229';
const NUMBER_OF_FRAMES = '00280008';

/**
 * PS3.3 C.7.6.16.2 macros → the attributes lifted from them: Plane Position (0020,9113), Plane
 * Orientation (0020,9116), Pixel Measures (0028,9110), Pixel Value Transformation (0028,9145) and
 * Frame VOI LUT (0028,9132).
 */
const LIFTED_GROUPS: ReadonlyArray<[group: string, attributes: readonly string[]]> = [
  ['00209113', ['00200032']], // ImagePositionPatient
  ['00209116', ['00200037']], // ImageOrientationPatient
  ['00289110', ['00280030', '00180050', '00180088']], // PixelSpacing, SliceThickness, SpacingBetweenSlices
  ['00289145', ['00281053', '00281052', '00281054']], // RescaleSlope, RescaleIntercept, RescaleType
  ['00289132', ['00281050', '00281051']], // WindowCenter, WindowWidth
];

/**
 * Never inherited by a frame from the top level: the groups, NumberOfFrames, and geometry an Enhanced IOD
 * keeps only in functional groups (a stray top-level copy must not give every frame one position).
 */
const NOT_INHERITED = [PER_FRAME_GROUPS, SHARED_GROUPS, NUMBER_OF_FRAMES, '00200032', '00200037', '00280030'];

export interface JsonFrame {
  dataset: DicomJson;
  /** 1-based (the frame URL's and ReferencedFrameNumber's count); undefined for a classic image. */
  frameNumber: number | undefined;
}

/** True for an instance with functional groups (Enhanced and Legacy Converted Enhanced IODs, PS3.3 C.7.6.16). */
export function hasFunctionalGroups(instance: DicomJson): boolean {
  return instance[PER_FRAME_GROUPS] !== undefined || instance[SHARED_GROUPS] !== undefined;
}

/**
 * A classic instance alone and unchanged; an Enhanced one as one dataset per frame, each lifted attribute
 * taken from the frame's PerFrameFunctionalGroupsSequence item, else from the shared item (C.7.6.16.1: a
 * macro sits in one or the other; per-frame wins). Returns undefined when the per-frame items do not
 * number NumberOfFrames. The datasets share attribute objects with `instance`; do not modify them.
 */
export function jsonFramesOf(instance: DicomJson): JsonFrame[] | undefined {
  if (!hasFunctionalGroups(instance)) return [{ dataset: instance, frameNumber: undefined }];
  const frames = Number(instance[NUMBER_OF_FRAMES]?.Value?.[0] ?? 1);
  const perFrame = (instance[PER_FRAME_GROUPS]?.Value ?? []) as DicomJson[];
  const shared = ((instance[SHARED_GROUPS]?.Value ?? [])[0] ?? {}) as DicomJson;
  if (perFrame.length !== frames) return undefined;
  const common: DicomJson = { ...instance };
  for (const tag of NOT_INHERITED) delete common[tag];
  return perFrame.map((groups, index) => {
    const dataset: DicomJson = { ...common };
    for (const [group, attributes] of LIFTED_GROUPS) {
      const item = (groups?.[group] ?? shared[group])?.Value?.[0] as DicomJson | undefined;
      if (!item) continue;
      for (const tag of attributes) if (item[tag] !== undefined) dataset[tag] = item[tag];
    }
    return { dataset, frameNumber: index + 1 };
  });
}
