import { Injectable, Logger } from '@nestjs/common';
import { DicomError, DicomwebClient, expandFrames, getJsonString, parseDicom, readSeg, SEGMENTATION_STORAGE, type SegReadResult, type SegSegmentInput, sourceSliceKey, writeBinarySeg } from '@covseg/dicom';
import { AuditService } from '../../audit/services/audit.service';
import { actorOf, type Principal } from '../../core/principal';
import { sourceGeometryOf, type SourceGeometry } from './source-geometry';
import { CorrectionDto, SaveCorrectionDto } from '../dtos/correction.dto';
import { CorrectionRecord, CorrectionRepository } from '../repositories/correction.repository';
import { ResultReviewRepository } from '../repositories/result-review.repository';
import { PacsGateway } from '../../pacs/repositories/pacs.gateway';
import { PacsStoreEvents } from '../../pacs/services/pacs-store-events';
import { reconcileInfectionClasses } from './class-consistency';
import { CorrectionRejectedError, ResultNotFoundError } from '../review.errors';
import { correctionDigest, countDifferences, decodeCorrectionRuns, quantifyCorrection, uidFromDigest } from './correction-masks';
import { encodeCorrectionReport } from './correction-report';

/** ContentLabel (CS, at most 16 characters) of a corrected SEG; the overlays API tells corrections apart by it. */
export const CORRECTION_CONTENT_LABEL = 'COVSEG_CORRECTED';
/** SeriesDescription prefix; never `<model> <version> infection+lung`, or a job would reuse the correction as the AI result. */
export const CORRECTION_DESCRIPTION_PREFIX = 'Corrected: ';
const CORRECTION_SERIES_NUMBER = 9001;

/**
 * Saves a reviewer's correction of a SEG as a NEW SEG series on the same PACS (PS3.3 A.51): edited
 * segments SEMIAUTOMATIC (MANUAL stays MANUAL), the corrected SEG referenced (writer's `derivedFrom`), the
 * original never touched. Figures are recomputed, kept in our records and stored with the SEG as a new
 * TID 1500 SR that references it (correction-report.ts); the result's review status
 * becomes `corrected`; the audit log names the reviewer by token label or OIDC subject.
 *
 * Idempotent: the SOP and Series Instance UIDs derive from a digest of the corrected SEG and the edited
 * labelmaps, and our records are keyed by it, so the same edit saved twice stores one object.
 */
@Injectable()
export class CorrectionService {
  private readonly logger = new Logger(CorrectionService.name);

  constructor(
    private readonly corrections: CorrectionRepository,
    private readonly reviews: ResultReviewRepository,
    private readonly pacs: PacsGateway,
    private readonly audit: AuditService,
    private readonly storeEvents: PacsStoreEvents,
  ) {}

  async save(principal: Principal, dto: SaveCorrectionDto): Promise<CorrectionDto> {
    const client = await this.pacs.client(dto.endpointId, 'review');
    const geometry = sourceGeometryOf(await client.retrieveSeriesMetadata(dto.study, dto.series));
    if (geometry.slices.length === 0) throw new ResultNotFoundError(`Series ${dto.series} of study ${dto.study} has no images on endpoint ${dto.endpointId}`);
    const base = await this.readBase(client, dto, geometry);
    // A multi-class SEG stays consistent: one class per voxel, segment 1 the union of the classes.
    const labelmaps = reconcileInfectionClasses(base, this.applyEdits(dto, base, geometry));
    const changedVoxels = base.segments.reduce((n, s, i) => n + countDifferences(s.labelmap, labelmaps[i]!), 0);
    if (changedVoxels === 0) throw new CorrectionRejectedError(`The correction of SEG ${dto.segSopInstanceUID} changes no voxel; accept the result instead`);
    const digest = correctionDigest(dto.segSopInstanceUID, base.segments.map((s, i) => ({ segmentNumber: s.segmentNumber, labelmap: labelmaps[i]! })));
    const reviewer = reviewerOf(principal);

    let record = await this.corrections.findByContent(dto.endpointId, dto.segSopInstanceUID, digest);
    const created = !record;
    // The patient, study and geometry header of the SEG and its SR comes from a source image, as for the AI's.
    const header = !record || record.status === 'pending' ? await this.sourceHeader(client, dto, geometry) : undefined;
    if (!record) {
      const bytes = await this.encode(client, dto, base, labelmaps, geometry, digest, header!);
      const quantification = quantifyCorrection(
        base.segments.map((s, i) => ({ segmentNumber: s.segmentNumber, label: s.label, category: s.category, type: s.type, labelmap: labelmaps[i]! })),
        geometry.voxelVolumeMm3,
      );
      record = await this.corrections.add(
        {
          pacsEndpointId: dto.endpointId,
          studyInstanceUID: dto.study,
          sourceSeriesInstanceUID: dto.series,
          derivedFromSeriesInstanceUID: dto.segSeriesInstanceUID,
          derivedFromSopInstanceUID: dto.segSopInstanceUID,
          contentSha256: digest,
          segSeriesInstanceUID: uidFromDigest(digest, 'series'),
          segSopInstanceUID: uidFromDigest(digest, 'sop'),
          actor: actorOf(principal),
          reviewer,
          changedVoxels,
          quantification,
        },
        bytes,
      );
    }
    if (record.status === 'pending') {
      // The SEG and its measurement report go in one STOW-RS, before the record counts as delivered: a
      // failed store leaves it pending, and the next save stores both again. Same bytes, same SOP Instance
      // UIDs on every try: a re-store replaces (PS3.4 B.4.1), never duplicates.
      const report = encodeCorrectionReport({ record, header: header!, sourceSlices: geometry.slices, segments: base.segments, algorithm: algorithmOf(base) });
      const segBytes = await this.corrections.readBytes(record);
      try {
        await client.store([segBytes, report.bytes], record.studyInstanceUID);
      } finally {
        // Stored or maybe stored (a timeout): this process's viewer proxy forgets its recent answers of the study.
        this.storeEvents.stored(dto.endpointId, record.studyInstanceUID);
      }
      record = await this.corrections.markDelivered(record.id);
      this.afterStored(record, report.sopInstanceUID);
    }
    await this.reviews.upsert({
      pacsEndpointId: dto.endpointId,
      segSopInstanceUID: dto.segSopInstanceUID,
      segSeriesInstanceUID: dto.segSeriesInstanceUID,
      studyInstanceUID: dto.study,
      sourceSeriesInstanceUID: dto.series,
      status: 'corrected',
      correctionId: record.id,
      actor: actorOf(principal),
      reviewer,
    });
    await this.audit.record(actorOf(principal), created ? 'correction.save' : 'correction.save-again', `seg:${record.segSopInstanceUID}`, {
      reviewer,
      pacsEndpointId: dto.endpointId,
      studyInstanceUID: dto.study,
      seriesInstanceUID: dto.series,
      derivedFromSopInstanceUID: dto.segSopInstanceUID,
      changedVoxels,
      ...(dto.comment ? { comment: dto.comment } : {}),
    });
    this.logger.log(`Correction ${record.id} of SEG ${dto.segSopInstanceUID} ${created ? 'stored' : 'already stored'} as SEG ${record.segSopInstanceUID} by ${actorOf(principal)}`);
    return toCorrectionDto(record, created);
  }

  async list(filter: { endpointId?: string; series?: string }): Promise<CorrectionDto[]> {
    return (await this.corrections.list({ pacsEndpointId: filter.endpointId, sourceSeriesInstanceUID: filter.series })).map((r) => toCorrectionDto(r, false));
  }

  /**
   * Runs once per correction, right after its SEG and its SR (a new TID 1500 report with the recomputed
   * figures, referencing the corrected SEG; see correction-report.ts) are on the PACS.
   */
  private afterStored(record: CorrectionRecord, srSopInstanceUID: string): void {
    this.logger.log(
      `Correction ${record.id}: infection ${record.quantification.infectionMl?.toFixed(1) ?? '-'} mL, involvement ${record.quantification.involvementPercent?.toFixed(2) ?? '-'} %, SR ${srSopInstanceUID}`,
    );
  }

  private async sourceHeader(client: DicomwebClient, dto: SaveCorrectionDto, geometry: SourceGeometry): Promise<Record<string, unknown>> {
    const first = geometry.slices[0]!;
    const instance = parseDicom(await client.retrieveInstance(dto.study, dto.series, first.sopInstanceUID));
    // An Enhanced CT keeps orientation and spacing in its functional groups: the header is then its first
    // frame's, lifted by libs/dicom as buildCtVolume lifts it for the AI's SEG (never the bare top level,
    // which lacks ImageOrientationPatient and PixelSpacing).
    const frame = first.referencedFrameNumber === undefined ? instance : expandFrames(instance)[first.referencedFrameNumber - 1];
    if (!frame) throw new CorrectionRejectedError(`SOP Instance ${first.sopInstanceUID} of series ${dto.series} has no frame ${first.referencedFrameNumber}`);
    return frame.dataset as Record<string, unknown>;
  }

  /** The SEG being corrected, read against the series' own slices; it must segment exactly this series. */
  private async readBase(client: DicomwebClient, dto: SaveCorrectionDto, geometry: SourceGeometry): Promise<SegReadResult> {
    const bytes = await client.retrieveInstance(dto.study, dto.segSeriesInstanceUID, dto.segSopInstanceUID);
    let seg: SegReadResult;
    try {
      seg = readSeg(bytes, geometry.slices);
    } catch (error) {
      if (error instanceof DicomError) throw new CorrectionRejectedError(`SEG ${dto.segSopInstanceUID} cannot be corrected on series ${dto.series}: ${error.message}`, { cause: error });
      throw error;
    }
    if (seg.rows !== geometry.rows || seg.columns !== geometry.columns) {
      throw new CorrectionRejectedError(`SEG ${dto.segSopInstanceUID} is ${seg.rows}x${seg.columns}, series ${dto.series} is ${geometry.rows}x${geometry.columns}`);
    }
    return seg;
  }

  /** The corrected labelmap of every segment of `base` (edited ones decoded, the others copied by reference). */
  private applyEdits(dto: SaveCorrectionDto, base: SegReadResult, geometry: SourceGeometry): Uint8Array[] {
    const perSlice = geometry.rows * geometry.columns;
    // A frame of an Enhanced CT source is its SOP Instance and its frame number (the overlays API names both).
    const sliceIndex = new Map(geometry.slices.map((s, i) => [sourceSliceKey(s.sopInstanceUID, s.referencedFrameNumber), i]));
    const labelmaps = base.segments.map((s) => s.labelmap);
    const seen = new Set<number>();
    for (const edit of dto.segments) {
      const index = base.segments.findIndex((s) => s.segmentNumber === edit.segmentNumber);
      if (index < 0) throw new CorrectionRejectedError(`SEG ${dto.segSopInstanceUID} has no segment ${edit.segmentNumber}`);
      if (seen.has(edit.segmentNumber)) throw new CorrectionRejectedError(`Segment ${edit.segmentNumber} is given twice`);
      seen.add(edit.segmentNumber);
      const labelmap = new Uint8Array(geometry.slices.length * perSlice);
      const slicesSeen = new Set<number>();
      for (const slice of edit.slices) {
        const name = slice.frameNumber === undefined ? slice.sopInstanceUID : `${slice.sopInstanceUID} frame ${slice.frameNumber}`;
        const z = sliceIndex.get(sourceSliceKey(slice.sopInstanceUID, slice.frameNumber));
        if (z === undefined) throw new CorrectionRejectedError(`Slice ${name} is not an image of series ${dto.series}`);
        if (slicesSeen.has(z)) throw new CorrectionRejectedError(`Slice ${name} of segment ${edit.segmentNumber} is given twice`);
        slicesSeen.add(z);
        decodeCorrectionRuns(slice.rle, labelmap, z * perSlice, perSlice, `Segment ${edit.segmentNumber}, slice ${name}`);
      }
      labelmaps[index] = labelmap;
    }
    return labelmaps;
  }

  private async encode(
    client: DicomwebClient,
    dto: SaveCorrectionDto,
    base: SegReadResult,
    labelmaps: Uint8Array[],
    geometry: SourceGeometry,
    digest: string,
    header: Record<string, unknown>,
  ): Promise<Uint8Array> {
    const segments: SegSegmentInput[] = base.segments.map((segment, i) => {
      if (!segment.category || !segment.type) throw new CorrectionRejectedError(`Segment ${segment.segmentNumber} of SEG ${dto.segSopInstanceUID} lacks its category or type code`);
      const edited = labelmaps[i] !== segment.labelmap && countDifferences(segment.labelmap, labelmaps[i]!) > 0;
      const [name, version] = splitAlgorithm(segment.algorithmName);
      const baseType = segment.algorithmType === 'MANUAL' || segment.algorithmType === 'SEMIAUTOMATIC' ? segment.algorithmType : 'AUTOMATIC';
      return {
        label: segment.label,
        description: segment.description,
        category: segment.category,
        type: segment.type,
        ...(segment.recommendedDisplayCIELab ? { recommendedDisplayCIELab: segment.recommendedDisplayCIELab } : {}),
        labelmap: labelmaps[i]!,
        // PS3.3 C.8.20.2.3: an AI mask a reader corrected is SEMIAUTOMATIC; what a reader drew alone stays MANUAL.
        algorithmType: edited ? (baseType === 'MANUAL' ? 'MANUAL' : 'SEMIAUTOMATIC') : baseType,
        algorithmName: name ?? 'covseg-review',
        algorithmVersion: version ?? '',
      };
    });
    const description = (await this.baseDescription(client, dto)) || 'SEG';
    return writeBinarySeg({
      sourceSlices: geometry.slices,
      header,
      segments,
      algorithm: algorithmOf(base),
      seriesInstanceUID: uidFromDigest(digest, 'series'),
      sopInstanceUID: uidFromDigest(digest, 'sop'),
      seriesNumber: CORRECTION_SERIES_NUMBER,
      seriesDescription: `${CORRECTION_DESCRIPTION_PREFIX}${description}`.slice(0, 64),
      contentLabel: CORRECTION_CONTENT_LABEL,
      contentDescription: 'Reader correction of an automatic segmentation',
      contentCreatorName: 'covseg^reviewer',
      algorithmType: 'SEMIAUTOMATIC',
      derivedFrom: {
        seriesInstanceUID: dto.segSeriesInstanceUID,
        sopInstanceUID: dto.segSopInstanceUID,
        sopClassUID: SEGMENTATION_STORAGE,
        description: `Reader correction of SEG ${dto.segSopInstanceUID}`,
      },
    }).bytes;
  }

  private async baseDescription(client: DicomwebClient, dto: SaveCorrectionDto): Promise<string> {
    const instances = await client.retrieveSeriesMetadata(dto.study, dto.segSeriesInstanceUID);
    const instance = instances.find((d) => getJsonString(d, 'SOPInstanceUID') === dto.segSopInstanceUID);
    return (instance ? (getJsonString(instance, 'SeriesDescription') ?? '') : '').replace(/^Corrected: /, '');
  }
}

/** The corrected SEG's algorithm (its first named segment's), which the corrected SEG and its SR carry on. */
function algorithmOf(base: SegReadResult): { name: string; version: string } {
  const [name, version] = splitAlgorithm(base.segments.find((s) => s.algorithmName)?.algorithmName);
  return { name: name ?? 'covseg-review', version: version ?? '1' };
}

/** "covseg-unet 1.1.0" → ["covseg-unet", "1.1.0"]; one word → [word, undefined]. */
function splitAlgorithm(name: string | undefined): [string | undefined, string | undefined] {
  if (!name) return [undefined, undefined];
  const at = name.lastIndexOf(' ');
  return at > 0 ? [name.slice(0, at), name.slice(at + 1)] : [name, undefined];
}

/** How a reviewer is named in our records and the audit log: the token's label, else the OIDC subject. */
export function reviewerOf(principal: Principal): string {
  return principal.label ?? principal.subject;
}

export function toCorrectionDto(record: CorrectionRecord, created: boolean): CorrectionDto {
  return {
    id: record.id,
    pacsEndpointId: record.pacsEndpointId,
    studyInstanceUID: record.studyInstanceUID,
    sourceSeriesInstanceUID: record.sourceSeriesInstanceUID,
    derivedFromSopInstanceUID: record.derivedFromSopInstanceUID,
    derivedFromSeriesInstanceUID: record.derivedFromSeriesInstanceUID,
    segSeriesInstanceUID: record.segSeriesInstanceUID,
    segSopInstanceUID: record.segSopInstanceUID,
    status: record.status,
    reviewer: record.reviewer,
    changedVoxels: record.changedVoxels,
    quantification: record.quantification,
    createdAt: record.createdAt,
    created,
  };
}
