import { SegmentCodes } from '../seg/seg-codes';
import { SrCodes } from './sr-codes';
import type { MeasurementReport } from './sr-types';

/** Infection and lung volume of one site, and the % of that lung involved. */
export interface LungRegionFigures {
  /** mL */
  infectionMl: number;
  /** mL */
  lungMl: number;
  /** infection / lung × 100 of the same site (docs/CONTRACTS.md); 0 when the lung volume is 0. */
  involvementPercent: number;
}

export interface LungFigures extends LungRegionFigures {
  right?: LungRegionFigures;
  left?: LungRegionFigures;
}

/**
 * The lung-involvement figures of a TID 1500 report: per Finding Site (both lungs, right lung, left
 * lung) the volume of the Lesion group and of the Lung group, matched by SCT codes, never by text. The
 * % is the report's own when it has one, else recomputed from the two volumes (same convention).
 * Undefined when the report lacks infection or lung volume for both lungs together.
 */
export function lungFiguresOf(report: MeasurementReport): LungFigures | undefined {
  const region = (site: string): LungRegionFigures | undefined => {
    const atSite = report.groups.filter((g) => g.findingSite?.CodeValue === site && g.findingSite.CodingSchemeDesignator === 'SCT');
    const infection = atSite.find((g) => g.finding?.CodeValue === SegmentCodes.lesion.CodeValue && g.finding.CodingSchemeDesignator === 'SCT');
    const lung = atSite.find((g) => g.finding?.CodeValue === SegmentCodes.lung.CodeValue && g.finding.CodingSchemeDesignator === 'SCT');
    if (infection?.volumeMl === undefined || lung?.volumeMl === undefined) return undefined;
    const percent = infection.involvementPercent ?? (lung.volumeMl > 0 ? Math.round((infection.volumeMl / lung.volumeMl) * 100_000) / 1000 : 0);
    return { infectionMl: infection.volumeMl, lungMl: lung.volumeMl, involvementPercent: percent };
  };
  const whole = region(SrCodes.lung.CodeValue);
  if (!whole) return undefined;
  const right = region(SrCodes.rightLung.CodeValue);
  const left = region(SrCodes.leftLung.CodeValue);
  return { ...whole, ...(right ? { right } : {}), ...(left ? { left } : {}) };
}
