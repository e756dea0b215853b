import { Injectable, Logger } from '@nestjs/common';
import { DicomError, DicomwebClient, getJsonSequence, getJsonString, infectionClassOfType, type LungFigures, lungFiguresOf, type MeasurementReport, readMeasurementReportFile, readSeg, type SegReadResult } from '@covseg/dicom';
import { CorrectionRepository } from '../../review/repositories/correction.repository';
import { CORRECTION_CONTENT_LABEL } from '../../review/services/correction.service';
import { ReviewService } from '../../review/services/review.service';
import { OverlayQueryDto, OverlaySegDto, OverlaySegmentDto, OverlaysDto } from '../dtos/overlay.dto';
import { callPacs } from '../../pacs/pacs.errors';
import { PacsGateway } from '../../pacs/repositories/pacs.gateway';
import { encodeSliceRuns } from '../../review/services/mask-rle';
import { sourceGeometryOf, type SourceGeometry } from '../../review/services/source-geometry';

/** SeriesDescription of our SRs (apps/server/src/jobs/result-series.ts) and of a correction's (review/services/correction-report.ts). */
const OUR_SR_DESCRIPTION = /^(?:Corrected: )?\S+ \S+ measurements(?: run [1-9][0-9]*)?$/;
/** ContentLabel our SEGs carry (apps/server/src/jobs/encode-seg.step.ts). */
const OUR_CONTENT_LABEL = 'COVSEG';
const INFECTION_LABEL = 'COVID-19 infection';
const LUNG_LABEL = 'Lung';
/** Colours for segments without RecommendedDisplayCIELabValue. */
const PALETTE: ReadonlyArray<[number, number, number]> = [[230, 25, 75], [60, 180, 75], [0, 130, 200], [245, 130, 48], [145, 30, 180], [70, 240, 240]];

/**
 * Every SEG in the PACS that references a series, read with readSeg against the series' own slices
 * (so frames out of source order land on the right slice), encoded per slice for the viewer, with
 * volumes from voxel counts × the source voxel volume.
 */
@Injectable()
export class OverlayService {
  private readonly logger = new Logger(OverlayService.name);

  constructor(
    private readonly pacs: PacsGateway,
    private readonly reviews: ReviewService,
    private readonly corrections: CorrectionRepository,
  ) {}

  async getOverlays(query: OverlayQueryDto): Promise<OverlaysDto> {
    const client = await this.pacs.client(query.endpointId, 'viewer');
    const geometry = sourceGeometryOf(await this.pacsCall(() => client.retrieveSeriesMetadata(query.study, query.series), `WADO-RS metadata of series ${query.series}`));
    const candidates = await this.findReferencingSegs(client, query);
    const reports = candidates.some((c) => c.ours || c.kind === 'correction') ? await this.findOurReports(client, query) : [];
    const result: OverlaysDto = { seriesInstanceUID: query.series, voxelVolumeMm3: geometry.voxelVolumeMm3, segs: [], errors: [] };
    for (const candidate of candidates) {
      const bytes = await this.pacsCall(
        () => client.retrieveInstance(query.study, candidate.seriesInstanceUID, candidate.sopInstanceUID),
        `WADO-RS retrieve of SEG ${candidate.sopInstanceUID}`,
      );
      try {
        const overlay = toOverlay(readSeg(bytes, geometry.slices), geometry, candidate, reports);
        const review = await this.reviews.statusOf(query.endpointId, candidate.sopInstanceUID);
        overlay.review = review ? { status: review.status, reviewer: review.reviewer, updatedAt: review.updatedAt } : null;
        if (candidate.kind === 'correction') {
          overlay.correctedBy = (await this.corrections.list({ pacsEndpointId: query.endpointId, sourceSeriesInstanceUID: query.series })).find((c) => c.segSopInstanceUID === candidate.sopInstanceUID)?.reviewer ?? null;
        }
        result.segs.push(overlay);
      } catch (error) {
        if (!(error instanceof DicomError)) throw error;
        // Reported to the user next to the overlays that did load; one broken SEG must not hide the others.
        this.logger.warn(`SEG ${candidate.sopInstanceUID} referencing series ${query.series} cannot be read: ${error.message}`);
        result.errors.push({ segSopInstanceUID: candidate.sopInstanceUID, message: `${error.name}: ${error.message}` });
      }
    }
    // A rejected result stays on the PACS but is not shown by default; neither is a result a reader has
    // corrected when its correction is here (the human version supersedes it; both stay listed).
    const corrected = new Set(result.segs.map((s) => s.derivedFromSopInstanceUID).filter((uid): uid is string => !!uid));
    // A result a forced re-run superseded (its SR is a predecessor of a newer SR of ours) starts hidden too.
    for (const seg of result.segs) seg.hiddenByDefault = seg.review?.status === 'rejected' || corrected.has(seg.segSopInstanceUID) || seg.superseded;
    return result;
  }

  /** SEG instances of the study whose ReferencedSeriesSequence (PS3.3 §C.8.20.1) names the series. */
  private async findReferencingSegs(client: DicomwebClient, query: OverlayQueryDto): Promise<SegCandidate[]> {
    const segSeries = await this.pacsCall(() => client.searchSeries(query.study, { Modality: 'SEG' }), `QIDO-RS SEG series of study ${query.study}`);
    const found: SegCandidate[] = [];
    for (const series of segSeries) {
      const seriesInstanceUID = getJsonString(series, 'SeriesInstanceUID');
      if (!seriesInstanceUID) continue;
      const instances = await this.pacsCall(() => client.retrieveSeriesMetadata(query.study, seriesInstanceUID), `WADO-RS metadata of SEG series ${seriesInstanceUID}`);
      for (const instance of instances) {
        const sopInstanceUID = getJsonString(instance, 'SOPInstanceUID');
        const references = getJsonSequence(instance, 'ReferencedSeriesSequence').some((item) => getJsonString(item, 'SeriesInstanceUID') === query.series);
        if (!sopInstanceUID || !references) continue;
        found.push({
          seriesInstanceUID,
          sopInstanceUID,
          seriesDescription: getJsonString(instance, 'SeriesDescription') ?? '',
          manufacturer: getJsonString(instance, 'Manufacturer') ?? '',
          ours: getJsonString(instance, 'ContentLabel') === OUR_CONTENT_LABEL,
          kind: kindOf(getJsonString(instance, 'ContentLabel')),
          // A correction names the SEG it derives from in SourceImageSequence (libs/dicom seg-writer `derivedFrom`).
          derivedFromSopInstanceUID: getJsonSequence(instance, 'SourceImageSequence').map((item) => getJsonString(item, 'ReferencedSOPInstanceUID')).find(Boolean) ?? null,
          // encode-seg.step.ts writes this ContentDescription for an untrained export.
          untrained: (getJsonString(instance, 'ContentDescription') ?? '').startsWith('UNTRAINED'),
        });
      }
    }
    return found;
  }

  /**
   * Our TID 1500 reports in the study (SeriesDescription `[Corrected: ]<model> <version> measurements[ run n]`) that
   * measure the series. One that cannot be read is logged and skipped: the SEG still shows, with its
   * figures counted from the masks.
   */
  private async findOurReports(client: DicomwebClient, query: OverlayQueryDto): Promise<MeasurementReport[]> {
    const srSeries = await this.pacsCall(() => client.searchSeries(query.study, { Modality: 'SR', includefield: ['SeriesDescription'] }), `QIDO-RS SR series of study ${query.study}`);
    const reports: MeasurementReport[] = [];
    for (const series of srSeries) {
      const seriesInstanceUID = getJsonString(series, 'SeriesInstanceUID');
      if (!seriesInstanceUID || !OUR_SR_DESCRIPTION.test(getJsonString(series, 'SeriesDescription') ?? '')) continue;
      const instances = await this.pacsCall(() => client.searchInstances(query.study, seriesInstanceUID), `QIDO-RS instances of SR series ${seriesInstanceUID}`);
      for (const instance of instances) {
        const sopInstanceUID = getJsonString(instance, 'SOPInstanceUID');
        if (!sopInstanceUID) continue;
        const bytes = await this.pacsCall(() => client.retrieveInstance(query.study, seriesInstanceUID, sopInstanceUID), `WADO-RS retrieve of SR ${sopInstanceUID}`);
        try {
          const report = readMeasurementReportFile(bytes);
          if (report.sourceSeriesInstanceUIDs.includes(query.series)) reports.push(report);
        } catch (error) {
          if (!(error instanceof DicomError)) throw error;
          this.logger.warn(`SR ${sopInstanceUID} in study ${query.study} cannot be read: ${error.message}`);
        }
      }
    }
    return reports;
  }

  /** A PACS 404 stays a 404, a timeout is a 504, a failing PACS a 502 (pacs.errors.ts); our own errors stay 500. */
  private pacsCall<T>(run: () => Promise<T>, what: string): Promise<T> {
    return callPacs(what, run);
  }
}

interface SegCandidate {
  seriesInstanceUID: string;
  sopInstanceUID: string;
  seriesDescription: string;
  manufacturer: string;
  ours: boolean;
  kind: 'ai' | 'correction' | 'other';
  derivedFromSopInstanceUID: string | null;
  untrained: boolean;
}

function kindOf(contentLabel: string | undefined): SegCandidate['kind'] {
  if (contentLabel === OUR_CONTENT_LABEL) return 'ai';
  if (contentLabel === CORRECTION_CONTENT_LABEL) return 'correction';
  return 'other';
}

function toOverlay(seg: SegReadResult, geometry: SourceGeometry, candidate: SegCandidate, reports: readonly MeasurementReport[]): OverlaySegDto {
  const perSlice = seg.rows * seg.columns;
  const segments: OverlaySegmentDto[] = seg.segments.map((segment, i) => {
    const slices = [];
    let voxelCount = 0;
    for (let k = 0; k < seg.slices.length; k++) {
      const rle = encodeSliceRuns(segment.labelmap, k * perSlice, perSlice);
      const source = seg.slices[k]!;
      if (rle) slices.push({ sopInstanceUID: source.sopInstanceUID, ...(source.referencedFrameNumber !== undefined ? { frameNumber: source.referencedFrameNumber } : {}), rle });
    }
    for (let v = 0; v < segment.labelmap.length; v++) voxelCount += segment.labelmap[v] ? 1 : 0;
    return {
      segmentNumber: segment.segmentNumber,
      label: segment.label,
      ...(infectionClassOfType(segment.type) ? { infectionClass: infectionClassOfType(segment.type) } : {}),
      color: segment.recommendedDisplayRgb ?? PALETTE[i % PALETTE.length]!,
      voxelCount,
      volumeMl: (voxelCount * geometry.voxelVolumeMm3) / 1000,
      slices,
    };
  });
  return {
    segSeriesInstanceUID: candidate.seriesInstanceUID,
    segSopInstanceUID: candidate.sopInstanceUID,
    seriesDescription: candidate.seriesDescription,
    manufacturer: candidate.manufacturer,
    ours: candidate.ours,
    kind: candidate.kind,
    derivedFromSopInstanceUID: candidate.derivedFromSopInstanceUID,
    review: null,
    correctedBy: null,
    hiddenByDefault: false,
    rows: seg.rows,
    columns: seg.columns,
    segments,
    quantification: candidate.kind !== 'other' ? quantificationOf(segments, seg, candidate, reports) : null,
    // A forced re-run's SR names the reports it supersedes (PredecessorDocumentsSequence); their SEGs are older results.
    superseded: reports.some((r) => r.groups.some((g) => g.segSopInstanceUID === candidate.sopInstanceUID) && reports.some((newer) => newer.predecessorSopInstanceUIDs.includes(r.sopInstanceUID))),
  };
}

/** Infection and lung mL from our two segments, and the model from our SeriesDescription `<name> <version> infection+lung`. */
function quantificationOf(segments: OverlaySegmentDto[], seg: SegReadResult, candidate: SegCandidate, reports: readonly MeasurementReport[]): OverlaySegDto['quantification'] {
  const match = /^(?:Corrected: )?(\S+) (\S+) infection\+lung(?: run [1-9][0-9]*)?$/.exec(candidate.seriesDescription);
  const algorithm = seg.segments.find((s) => s.label === INFECTION_LABEL)?.algorithmName;
  // Our SR that measures this SEG, when there is one (with right and left lung); else counted from the masks.
  const report = reports.find((r) => r.groups.some((g) => g.segSopInstanceUID === candidate.sopInstanceUID));
  const figures = report && lungFiguresOf(report);
  if (report && figures) {
    return {
      ...regionOf(figures),
      ...(figures.right ? { right: regionOf(figures.right) } : {}),
      ...(figures.left ? { left: regionOf(figures.left) } : {}),
      modelName: report.algorithmName ?? match?.[1] ?? 'unknown',
      modelVersion: report.algorithmVersion ?? match?.[2] ?? 'unknown',
      modelTrained: !candidate.untrained,
      source: 'sr',
      srSopInstanceUID: report.sopInstanceUID,
    };
  }
  const infection = segments.find((s) => s.label === INFECTION_LABEL);
  if (!infection) return null;
  const lung = segments.find((s) => s.label === LUNG_LABEL);
  const percentOfLung = (ml: number) => (lung && lung.volumeMl > 0 ? (ml / lung.volumeMl) * 100 : null);
  const ggo = segments.find((s) => s.infectionClass === 'ggo');
  const consolidation = segments.find((s) => s.infectionClass === 'consolidation');
  return {
    source: 'seg',
    infectionMl: infection.volumeMl,
    lungMl: lung ? lung.volumeMl : null,
    involvementPercent: percentOfLung(infection.volumeMl),
    // A multi-class SEG (segments 3 and 4 of ours): per-class volumes counted from their masks.
    ...(ggo && consolidation
      ? {
          classes: {
            ggo: { volumeMl: ggo.volumeMl, involvementPercent: percentOfLung(ggo.volumeMl) },
            consolidation: { volumeMl: consolidation.volumeMl, involvementPercent: percentOfLung(consolidation.volumeMl) },
          },
        }
      : {}),
    modelName: match?.[1] ?? algorithm ?? 'unknown',
    modelVersion: match?.[2] ?? 'unknown',
    modelTrained: !candidate.untrained,
  };
}

const regionOf = (r: LungFigures | NonNullable<LungFigures['right']>) => ({
  infectionMl: r.infectionMl,
  lungMl: r.lungMl,
  involvementPercent: r.involvementPercent,
  ...(r.classes ? { classes: r.classes } : {}),
});
