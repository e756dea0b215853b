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
  /** Multi-class reports only: the ground-glass opacity and consolidation groups of the same site. */
  classes?: {
    ggo: { volumeMl: number; involvementPercent: number };
    consolidation: { volumeMl: number; involvementPercent: number };
  };
}

export interface LungFigures extends LungRegionFigures {
  right?: LungRegionFigures;
  left?: LungRegionFigures;
}

/**
 * The lung-involvement figures of a TID 1500 report: per Finding Site (both lungs, right lung, left
 * lung) the volume of the Lesion group and of the Lung group, matched by SCT codes, never by text. The
 * % is the report's own when it has one, else recomputed from the two volumes (same convention). A
 * multi-class report's Ground glass opacity and Lung consolidation groups of the site add `classes`.
 * Undefined when the report lacks infection or lung volume for both lungs together.
 */
export function lungFiguresOf(report: MeasurementReport): LungFigures | undefined {
  const region = (site: string): LungRegionFigures | undefined => {
    const atSite = report.groups.filter((g) => g.findingSite?.CodeValue === site && g.findingSite.CodingSchemeDesignator === 'SCT');
    const infection = atSite.find((g) => g.finding?.CodeValue === SegmentCodes.lesion.CodeValue && g.finding.CodingSchemeDesignator === 'SCT');
    const lung = atSite.find((g) => g.finding?.CodeValue === SegmentCodes.lung.CodeValue && g.finding.CodingSchemeDesignator === 'SCT');
    if (infection?.volumeMl === undefined || lung?.volumeMl === undefined) return undefined;
    const percentOf = (ml: number, given: number | undefined) => given ?? (lung.volumeMl! > 0 ? Math.round((ml / lung.volumeMl!) * 100_000) / 1000 : 0);
    const classGroup = (code: { CodeValue: string; CodingSchemeDesignator: string }) => {
      const g = atSite.find((x) => x.finding?.CodeValue === code.CodeValue && x.finding.CodingSchemeDesignator === code.CodingSchemeDesignator);
      return g?.volumeMl === undefined ? undefined : { volumeMl: g.volumeMl, involvementPercent: percentOf(g.volumeMl, g.involvementPercent) };
    };
    const ggo = classGroup(SegmentCodes.groundGlassOpacity);
    const consolidation = classGroup(SegmentCodes.consolidation);
    return {
      infectionMl: infection.volumeMl,
      lungMl: lung.volumeMl,
      involvementPercent: percentOf(infection.volumeMl, infection.involvementPercent),
      ...(ggo && consolidation ? { classes: { ggo, consolidation } } : {}),
    };
  };
  const whole = region(SrCodes.lung.CodeValue);
  if (!whole) return undefined;
  const right = region(SrCodes.rightLung.CodeValue);
  const left = region(SrCodes.leftLung.CodeValue);
  return { ...whole, ...(right ? { right } : {}), ...(left ? { left } : {}) };
}
