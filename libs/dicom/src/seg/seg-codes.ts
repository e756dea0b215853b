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
 * "Lesion": the union of what the model marks, whatever its class.
 *
 * Infection classes of a multi-class model (docs/CONTRACTS.md §2), same category:
 * - ground-glass opacity: DCM 112120 "Ground glass opacity", PS3.16 CID 6104 "Abnormal Opacity Finding
 *   or Feature" (the chest CAD findings; CID 7151's type groups have no GGO concept, and the SEG's
 *   SegmentedPropertyTypeCodeSequence is a baseline context group, PS3.3 C.8.20.2, so others may be used);
 * - consolidation: SCT 95436008 "Lung consolidation" (SNOMED CT International; no DICOM context group
 *   lists consolidation).
 *
 * Lung: CID 7150 category 123037004 "Anatomical Structure"; type 39607008 "Lung" (CID 7166
 * "Segmentation Anatomic Structure Types", via CID 4 "Anatomic Region").
 */
export const SegmentCodes = {
  morphologicallyAbnormalStructure: { CodeValue: '49755003', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Morphologically abnormal structure' },
  lesion: { CodeValue: '52988006', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Lesion' },
  groundGlassOpacity: { CodeValue: '112120', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Ground glass opacity' },
  consolidation: { CodeValue: '95436008', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Lung consolidation' },
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

/** Default display colours (sRGB 0-255) of our segments, chosen to stay apart on a grey CT and from each other. */
export const DefaultSegmentColors = {
  infection: [230, 80, 60] as [number, number, number],
  lung: [80, 160, 230] as [number, number, number],
  /** Amber: the hazy, lighter class. */
  groundGlassOpacity: [245, 200, 40] as [number, number, number],
  /** Magenta: the dense class, apart from the infection red and the lung blue. */
  consolidation: [200, 40, 170] as [number, number, number],
};

/**
 * The infection class a segment's SegmentedPropertyType names: 'ggo' (DCM 112120) or 'consolidation'
 * (SCT 95436008), matched by code, never by label; undefined for any other type.
 */
export function infectionClassOfType(type: CodedConcept | undefined): 'ggo' | 'consolidation' | undefined {
  if (!type) return undefined;
  const is = (c: CodedConcept) => type.CodeValue === c.CodeValue && type.CodingSchemeDesignator === c.CodingSchemeDesignator;
  if (is(SegmentCodes.groundGlassOpacity)) return 'ggo';
  if (is(SegmentCodes.consolidation)) return 'consolidation';
  return undefined;
}
