import { AiProvenance, CtVolume, newUid, writeSecondaryCapture } from '@covseg/dicom';
import { SegmentationModel, VolumeSegmentation, annotateRgb } from '@covseg/segmentation';
import { JobQuantification } from './job-result';
import { KEY_IMAGE_SERIES_NUMBER, keyImageSeriesDescription, seriesNumberOfRun } from './result-series';

/** A slice becomes a key image when its infection covers at least this area (mm², 1 cm²). */
export const KEY_IMAGE_MIN_INFECTION_MM2 = 100;
/** At most this many slice images per result (the largest infections), plus the summary. */
export const KEY_IMAGE_MAX_SLICES = 24;
/** Lung window (HU) for the picture: level −600, width 1500. */
const WINDOW_LOW = -600 - 750;
const WINDOW_WIDTH = 1500;
const INFECTION_RGB = [255, 48, 32] as const;
const INFECTION_ALPHA = 0.45;
const BANNER = 'NOT FOR DIAGNOSIS · derived image · AI result';

export interface KeyImage {
  sopInstanceUID: string;
  bytes: Uint8Array;
}

/**
 * Secondary Capture key images for PACS viewers that cannot show a SEG (endpoint option `keyImages`):
 * one per slice whose infection covers ≥ KEY_IMAGE_MIN_INFECTION_MM2 (the KEY_IMAGE_MAX_SLICES largest,
 * in slice order), the CT in a lung window with the infection burnt in, then one summary image with the
 * figures. Every image says NOT FOR DIAGNOSIS in its pixels and ImageComments, is DERIVED\SECONDARY with
 * BurnedInAnnotation YES, and references its source image(s). No patient data is drawn. Rendered with sharp
 * (SVG text composited onto the raw RGB picture).
 * @param segmentation masks slice-major like `volume.hu`; only read.
 */
export async function renderKeyImages(
  volume: CtVolume,
  segmentation: VolumeSegmentation,
  quantification: JobQuantification,
  model: SegmentationModel,
  provenance: AiProvenance,
  run = 1,
): Promise<KeyImage[]> {
  const { rows, columns, slices, rowSpacingMm, columnSpacingMm } = volume.geometry;
  const plane = rows * columns;
  const pixelMm2 = rowSpacingMm * columnSpacingMm;
  const areas: Array<{ z: number; mm2: number }> = [];
  for (let z = 0; z < slices; z++) {
    let count = 0;
    const mask = segmentation.infection;
    for (let i = z * plane, end = i + plane; i < end; i++) count += mask[i]!;
    if (count * pixelMm2 >= KEY_IMAGE_MIN_INFECTION_MM2) areas.push({ z, mm2: count * pixelMm2 });
  }
  const chosen = areas.sort((a, b) => b.mm2 - a.mm2).slice(0, KEY_IMAGE_MAX_SLICES).sort((a, b) => a.z - b.z);
  const seriesInstanceUID = newUid();
  const common = {
    header: volume.header,
    provenance,
    seriesInstanceUID,
    seriesNumber: seriesNumberOfRun(KEY_IMAGE_SERIES_NUMBER, run),
    seriesDescription: keyImageSeriesDescription(model.name, model.version, run),
    imageComments: `NOT FOR DIAGNOSIS. Derived key image: ${model.name} ${model.version} infection overlay burnt in; the DICOM SEG and SR in this study are the result.`,
  };
  const images: KeyImage[] = [];
  for (const [index, { z, mm2 }] of chosen.entries()) {
    const rgb = sliceRgb(volume.hu, segmentation.infection, z * plane, plane);
    const caption = `${model.name} ${model.version} · slice ${z + 1}/${slices} · infection ${(mm2 / 100).toFixed(1)} cm² in this slice`;
    const pixels = await annotateRgb(rgb, columns, rows, [BANNER], [caption]);
    const source = volume.slices[z]!;
    images.push(
      writeSecondaryCapture({
        ...common,
        rows,
        columns,
        rgb: pixels,
        sources: [source],
        pixelSpacing: [rowSpacingMm, columnSpacingMm],
        instanceNumber: index + 1,
        derivationDescription: `CT slice ${z + 1} of ${slices} in a lung window (level -600 HU, width 1500 HU) with the ${model.name} ${model.version} infection mask burnt in (red, ${INFECTION_ALPHA * 100} % opacity)`,
      }),
    );
  }
  images.push(
    writeSecondaryCapture({
      ...common,
      rows: 512,
      columns: 512,
      rgb: await summaryPicture(quantification, model, chosen.length, slices),
      sources: volume.slices,
      instanceNumber: chosen.length + 1,
      derivationDescription: `Summary of the ${model.name} ${model.version} measurements of the series (the same figures as the SR)`,
    }),
  );
  return images;
}

/** Lung-window grey with the infection blended in red; a new rows × columns × 3 buffer. */
function sliceRgb(hu: Int16Array, infection: Uint8Array, offset: number, plane: number): Uint8Array {
  const rgb = new Uint8Array(plane * 3);
  for (let i = 0; i < plane; i++) {
    const grey = Math.max(0, Math.min(255, Math.round(((hu[offset + i]! - WINDOW_LOW) / WINDOW_WIDTH) * 255)));
    const o = i * 3;
    if (infection[offset + i]) {
      rgb[o] = Math.round(grey * (1 - INFECTION_ALPHA) + INFECTION_RGB[0] * INFECTION_ALPHA);
      rgb[o + 1] = Math.round(grey * (1 - INFECTION_ALPHA) + INFECTION_RGB[1] * INFECTION_ALPHA);
      rgb[o + 2] = Math.round(grey * (1 - INFECTION_ALPHA) + INFECTION_RGB[2] * INFECTION_ALPHA);
    } else rgb[o] = rgb[o + 1] = rgb[o + 2] = grey;
  }
  return rgb;
}

async function summaryPicture(q: JobQuantification, model: SegmentationModel, keySlices: number, slices: number): Promise<Uint8Array> {
  const region = (label: string, r: { infectionVolumeMl: number; lungVolumeMl: number; involvementPercent: number }) =>
    `${label}: infection ${r.infectionVolumeMl.toFixed(1)} mL of ${r.lungVolumeMl.toFixed(1)} mL lung = ${r.involvementPercent.toFixed(2)} %`;
  const lines = [
    'COVID-19 lung involvement (automatic)',
    '',
    region('Both lungs', q),
    ...(q.right ? [region('Right lung', q.right)] : []),
    ...(q.left ? [region('Left lung', q.left)] : []),
    '',
    `% involvement = infection volume / lung volume x 100`,
    `Model ${model.name} ${model.version}${model.trained ? '' : ' (UNTRAINED: meaningless)'}`,
    `${keySlices} key slice(s) of ${slices} with >= ${KEY_IMAGE_MIN_INFECTION_MM2 / 100} cm2 infection`,
  ];
  return annotateRgb(new Uint8Array(512 * 512 * 3), 512, 512, [BANNER, '', ...lines], ['See the DICOM SEG and SR of this study for the result.']);
}
