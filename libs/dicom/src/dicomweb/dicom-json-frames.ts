import { FRAME_GEOMETRY_GROUPS, NOT_INHERITED_BY_FRAMES } from '../volume/enhanced-ct';
import { type DicomJsonDataset, getJsonNumber, getJsonSequence, tagOfKeyword } from './dicom-json';

/**
 * The functional group macros lifted to each frame: the volume builder's frame geometry groups
 * (volume/enhanced-ct.ts), plus the Frame VOI LUT a viewer shows.
 */
const LIFTED_GROUPS: ReadonlyArray<[group: string, attributes: readonly string[]]> = [...FRAME_GEOMETRY_GROUPS, ['FrameVOILUTSequence', ['WindowCenter', 'WindowWidth']]];

/** One frame of an instance in the DICOM JSON model, with its functional group attributes lifted to the top level. */
export interface DicomJsonFrame {
  dataset: DicomJsonDataset;
  /** 1-based, as ReferencedFrameNumber counts (PS3.3 Table 10-3); undefined for a classic single-frame image. */
  frameNumber: number | undefined;
}

/** True when the instance carries functional groups (Enhanced and Legacy Converted Enhanced IODs, PS3.3 C.7.6.16). */
export function hasFunctionalGroups(instance: DicomJsonDataset): boolean {
  return instance[tagOfKeyword('PerFrameFunctionalGroupsSequence')] !== undefined || instance[tagOfKeyword('SharedFunctionalGroupsSequence')] !== undefined;
}

/**
 * The frames of a WADO-RS metadata instance (PS3.18 F.2). An instance without functional groups comes back
 * alone and unchanged (frameNumber undefined). An instance with them gives one dataset per frame: the
 * top level, less the attributes above, plus each lifted attribute from the frame's
 * PerFrameFunctionalGroupsSequence item, else from the SharedFunctionalGroupsSequence item (C.7.6.16.1:
 * a macro is in one of the two). Returns undefined when the per-frame items do not match NumberOfFrames,
 * so the caller can refuse the instance with its own error. Datasets share attribute objects with
 * `instance`; do not modify them.
 */
export function jsonFramesOf(instance: DicomJsonDataset): DicomJsonFrame[] | undefined {
  if (!hasFunctionalGroups(instance)) return [{ dataset: instance, frameNumber: undefined }];
  const frames = getJsonNumber(instance, 'NumberOfFrames') ?? 1;
  const perFrame = getJsonSequence(instance, 'PerFrameFunctionalGroupsSequence');
  const shared = getJsonSequence(instance, 'SharedFunctionalGroupsSequence')[0] ?? {};
  if (perFrame.length !== frames) return undefined;
  const common: DicomJsonDataset = { ...instance };
  for (const keyword of NOT_INHERITED_BY_FRAMES) delete common[tagOfKeyword(keyword)];
  return perFrame.map((groups, index) => {
    const dataset: DicomJsonDataset = { ...common };
    for (const [group, attributes] of LIFTED_GROUPS) {
      const tag = tagOfKeyword(group);
      const item = (groups[tag] ?? shared[tag])?.Value?.[0] as DicomJsonDataset | undefined;
      if (!item) continue;
      for (const keyword of attributes) {
        const attribute = item[tagOfKeyword(keyword)];
        if (attribute !== undefined) dataset[tagOfKeyword(keyword)] = attribute;
      }
    }
    return { dataset, frameNumber: index + 1 };
  });
}
