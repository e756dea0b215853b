/** A coded concept as SEG sequences carry it (PS3.3 8.8, Code Sequence Macro); keywords verbatim. */
export interface CodedConcept {
  CodeValue: string;
  CodingSchemeDesignator: string;
  CodeMeaning: string;
}

/**
 * Segment codes for what our model produces.
 *
 * Infection: PS3.16 CID 7150 "Segmentation Property Categories" gives the category 49755003
 * "Morphologically abnormal structure"; CID 7159 "Lesion Segmentation Types" gives the type 52988006
 * "Lesion". We do not claim a finer type such as ground-glass opacity, because the model does not
 * distinguish ground glass from consolidation.
 *
 * Lung: CID 7150 category 123037004 "Anatomical Structure"; type 39607008 "Lung" (CID 7166
 * "Segmentation Anatomic Structure Types", via CID 4 "Anatomic Region").
 */
export const SegmentCodes = {
  morphologicallyAbnormalStructure: { CodeValue: '49755003', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Morphologically abnormal structure' },
  lesion: { CodeValue: '52988006', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Lesion' },
  anatomicalStructure: { CodeValue: '123037004', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Anatomical Structure' },
  lung: { CodeValue: '39607008', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Lung' },
} as const satisfies Record<string, CodedConcept>;

/** Codes the writer puts into DerivationImageSequence and ContributingEquipmentSequence. */
export const DerivationCodes = {
  /** DCM 113076, CID 7203 "Image Derivation". */
  segmentation: { CodeValue: '113076', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Segmentation' },
  /** DCM 121322, CID 7202 "Source Image Purposes of Reference". */
  sourceImageForProcessing: { CodeValue: '121322', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Source image for image processing operation' },
  /** DCM 109102, CID 7005 "Contributing Equipment Purposes of Reference". */
  processingEquipment: { CodeValue: '109102', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Processing Equipment' },
} as const satisfies Record<string, CodedConcept>;

/** Default display colours (sRGB 0-255) of our two segments, chosen to stay apart on a grey CT. */
export const DefaultSegmentColors = {
  infection: [230, 80, 60] as [number, number, number],
  lung: [80, 160, 230] as [number, number, number],
};
