import { mkdirSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CtVolume, CtVolumeStream, FrameDecodePool, readSeg, type SegReadSegment } from '@covseg/dicom';
import { encodePng, frameVolumeForTraining, type ModelContract } from '@covseg/segmentation';
import { segmentationInputOf } from '../../jobs/pipeline/segment-volume.step';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';
import { CorrectionRecord, CorrectionRepository } from '../repositories/correction.repository';
import { PacsGateway } from '../../pacs/repositories/pacs.gateway';

/** SCT 49755003 "Morphologically abnormal structure": lesion segments; their union is the infection mask. */
const LESION_CATEGORY = '49755003';

/** Why a slice is in the export: the corrected SEG has infection there, or the reader removed all of it. */
export type PairReason = 'infection' | 'emptied';

/** Provenance of one image/mask pair; UIDs and labels only, never patient names. */
export interface ExportedPair {
  name: string;
  reason: PairReason;
  correctionId: string;
  pacsEndpointId: string;
  studyInstanceUID: string;
  sourceSeriesInstanceUID: string;
  sourceSopInstanceUID: string;
  /** 1-based frame of a multi-frame source; absent for a single-frame slice. */
  sourceFrameNumber?: number;
  /** 0-based, in volume order (sorted along the slice normal). */
  sliceIndex: number;
  segSeriesInstanceUID: string;
  segSopInstanceUID: string;
  derivedFromSopInstanceUID: string;
  /** The algorithm of the corrected AI SEG (e.g. "covseg-unet 1.1.0"), as its segments name it. */
  modelVersion: string | null;
  reviewer: string;
  correctedAt: string;
  /** The model frame in the source slice, pixels: the image is this crop of the windowed slice. */
  frame: { x: number; y: number; width: number; height: number };
  infectionPixels: number;
}

export interface ExportManifest {
  format: 1;
  exportedAt: string;
  /** The contract whose window and framing made the images (docs/CONTRACTS.md §1-2). */
  framing: Pick<ModelContract, 'name' | 'version' | 'windowCenter' | 'windowWidth' | 'frameMargin' | 'minFrameMm' | 'minLungAreaMm2'>;
  corrections: Array<{
    correctionId: string;
    segSopInstanceUID: string;
    pairs: number;
    slicesWithoutFrame: number;
    emptiedKnown: boolean;
    /** A later correction of this corrected SEG replaces it: its pairs are not exported. */
    supersededBy?: string;
    error?: string;
  }>;
  pairs: ExportedPair[];
}

const CSV_COLUMNS: Array<keyof ExportedPair> = [
  'name', 'reason', 'correctionId', 'pacsEndpointId', 'studyInstanceUID', 'sourceSeriesInstanceUID', 'sourceSopInstanceUID', 'sliceIndex',
  'segSeriesInstanceUID', 'segSopInstanceUID', 'derivedFromSopInstanceUID', 'modelVersion', 'reviewer', 'correctedAt', 'infectionPixels',
];

/**
 * Turns saved corrections into training pairs framed exactly like the model's input
 * (`frameVolumeForTraining`, the same lung mask, frame and window as segmentVolume): per correction the
 * source CT comes from its PACS endpoint (the endpoint's stored credentials), the corrected SEG from
 * DATA_DIR/corrections, and the SEG it corrected from the PACS (to find the slices the reader emptied).
 * Writes `images/` + `masks/` PNG (same stem, the layout training/covseg_training/dataset.py reads) and
 * `manifest.json` + `manifest.csv`. The folder holds patient pixels: 0700, files 0600.
 */
@Injectable()
export class CorrectionExportService {
  private readonly logger = new Logger(CorrectionExportService.name);

  constructor(
    private readonly corrections: CorrectionRepository,
    private readonly pacs: PacsGateway,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async export(out: string, contract: ModelContract, filter: { endpointId?: string } = {}): Promise<ExportManifest> {
    prepareFolder(out);
    const manifest: ExportManifest = {
      format: 1,
      exportedAt: new Date().toISOString(),
      framing: {
        name: contract.name,
        version: contract.version,
        windowCenter: contract.windowCenter,
        windowWidth: contract.windowWidth,
        frameMargin: contract.frameMargin,
        minFrameMm: contract.minFrameMm,
        minLungAreaMm2: contract.minLungAreaMm2,
      },
      corrections: [],
      pairs: [],
    };
    const pool = new FrameDecodePool({ threads: this.config.decodeThreads });
    try {
      // Oldest first, so pair order is stable as corrections accumulate.
      const records = (await this.corrections.list({ pacsEndpointId: filter.endpointId }, 1_000_000)).reverse();
      // A reader may correct a correction: only the newest of such a chain is the reader's final word.
      const correctedBy = new Map(records.map((r) => [`${r.pacsEndpointId}\0${r.derivedFromSopInstanceUID}`, r.id]));
      for (const record of records) {
        const supersededBy = correctedBy.get(`${record.pacsEndpointId}\0${record.segSopInstanceUID}`);
        if (supersededBy) {
          manifest.corrections.push({ correctionId: record.id, segSopInstanceUID: record.segSopInstanceUID, pairs: 0, slicesWithoutFrame: 0, emptiedKnown: false, supersededBy });
          continue;
        }
        try {
          const summary = await this.exportOne(record, contract, pool, out, manifest.pairs);
          manifest.corrections.push(summary);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          this.logger.warn(`Correction ${record.id} (SEG ${record.segSopInstanceUID}) not exported: ${message}`);
          manifest.corrections.push({ correctionId: record.id, segSopInstanceUID: record.segSopInstanceUID, pairs: 0, slicesWithoutFrame: 0, emptiedKnown: false, error: message });
        }
      }
    } finally {
      await pool.close();
    }
    writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    const csv = [CSV_COLUMNS.join(','), ...manifest.pairs.map((p) => CSV_COLUMNS.map((c) => csvField(p[c])).join(','))].join('\n');
    writeFileSync(join(out, 'manifest.csv'), `${csv}\n`, { mode: 0o600 });
    return manifest;
  }

  private async exportOne(record: CorrectionRecord, contract: ModelContract, pool: FrameDecodePool, out: string, pairs: ExportedPair[]): Promise<ExportManifest['corrections'][number]> {
    const client = await this.pacs.client(record.pacsEndpointId, 'review');
    const stream = new CtVolumeStream({ pool });
    await client.streamSeries(record.studyInstanceUID, record.sourceSeriesInstanceUID, stream);
    const volume: CtVolume = await stream.finish();
    const { geometry } = volume;
    const corrected = readSeg(await this.corrections.readBytes(record), volume.slices);
    if (corrected.rows !== geometry.rows || corrected.columns !== geometry.columns) {
      throw new Error(`SEG ${record.segSopInstanceUID} is ${corrected.rows}x${corrected.columns}, series ${record.sourceSeriesInstanceUID} is ${geometry.rows}x${geometry.columns}`);
    }
    const infection = lesionUnion(corrected.segments, volume.hu.length);
    if (!infection) throw new Error(`SEG ${record.segSopInstanceUID} has no lesion segment (category SCT ${LESION_CATEGORY})`);
    // The SEG it corrected tells which slices the reader emptied; without it only infected slices go out.
    let before: Uint8Array | undefined;
    try {
      const base = readSeg(await client.retrieveInstance(record.studyInstanceUID, record.derivedFromSeriesInstanceUID, record.derivedFromSopInstanceUID), volume.slices);
      before = lesionUnion(base.segments, volume.hu.length);
    } catch (error) {
      this.logger.warn(`Correction ${record.id}: the corrected SEG ${record.derivedFromSopInstanceUID} is not readable on the PACS (${error instanceof Error ? error.message : String(error)}); emptied slices are left out`);
    }
    const framed = frameVolumeForTraining(segmentationInputOf(volume), contract);
    const plane = geometry.rows * geometry.columns;
    const modelVersion = corrected.segments.find((s) => s.category?.CodeValue === LESION_CATEGORY && s.algorithmName)?.algorithmName ?? null;
    let written = 0;
    let withoutFrame = 0;
    for (let z = 0; z < geometry.slices; z++) {
      const now = countOnes(infection, z * plane, plane);
      const was = before ? countOnes(before, z * plane, plane) : 0;
      const reason: PairReason | undefined = now > 0 ? 'infection' : was > 0 ? 'emptied' : undefined;
      if (!reason) continue;
      const frame = framed.frames[z];
      if (!frame) {
        withoutFrame++; // the model never sees a slice with too little lung (CONTRACTS.md §1), so neither does training
        continue;
      }
      const name = `${record.id}-${String(z).padStart(4, '0')}`;
      const image = framed.windowedCrop(z);
      const mask = framed.crop(infection, z);
      for (let i = 0; i < mask.length; i++) mask[i] = mask[i]! * 255;
      writeFileSync(join(out, 'images', `${name}.png`), await encodePng(image, frame.width, frame.height, 1), { mode: 0o600 });
      writeFileSync(join(out, 'masks', `${name}.png`), await encodePng(mask, frame.width, frame.height, 1), { mode: 0o600 });
      const slice = volume.slices[z]!;
      pairs.push({
        name,
        reason,
        correctionId: record.id,
        pacsEndpointId: record.pacsEndpointId,
        studyInstanceUID: record.studyInstanceUID,
        sourceSeriesInstanceUID: record.sourceSeriesInstanceUID,
        sourceSopInstanceUID: slice.sopInstanceUID,
        ...(slice.referencedFrameNumber !== undefined ? { sourceFrameNumber: slice.referencedFrameNumber } : {}),
        sliceIndex: z,
        segSeriesInstanceUID: record.segSeriesInstanceUID,
        segSopInstanceUID: record.segSopInstanceUID,
        derivedFromSopInstanceUID: record.derivedFromSopInstanceUID,
        modelVersion,
        reviewer: record.reviewer,
        correctedAt: record.createdAt,
        frame: { x: frame.x, y: frame.y, width: frame.width, height: frame.height },
        infectionPixels: now,
      });
      written++;
    }
    this.logger.log(`Correction ${record.id} (SEG ${record.segSopInstanceUID}): ${written} pairs, ${withoutFrame} corrected slices without a model frame`);
    return { correctionId: record.id, segSopInstanceUID: record.segSopInstanceUID, pairs: written, slicesWithoutFrame: withoutFrame, emptiedKnown: before !== undefined };
  }
}

/** 0/1 union of the lesion segments' labelmaps; undefined when there is none. */
function lesionUnion(segments: readonly SegReadSegment[], length: number): Uint8Array | undefined {
  const lesions = segments.filter((s) => s.category?.CodeValue === LESION_CATEGORY);
  if (lesions.length === 0) return undefined;
  const union = new Uint8Array(length);
  for (const s of lesions) for (let i = 0; i < length; i++) if (s.labelmap[i]) union[i] = 1;
  return union;
}

function countOnes(labelmap: Uint8Array, offset: number, length: number): number {
  let n = 0;
  for (let i = offset; i < offset + length; i++) n += labelmap[i] ? 1 : 0;
  return n;
}

function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** An empty folder, or a previous export (its pairs are replaced); anything else is refused. */
function prepareFolder(out: string): void {
  if (existsSync(out)) {
    const entries = readdirSync(out);
    if (entries.length > 0 && !entries.includes('manifest.json')) throw new Error(`export corrections: ${out} is neither empty nor a previous export`);
    for (const sub of ['images', 'masks']) rmSync(join(out, sub), { recursive: true, force: true });
  }
  mkdirSync(join(out, 'images'), { recursive: true, mode: 0o700 });
  mkdirSync(join(out, 'masks'), { recursive: true, mode: 0o700 });
}
