import { AiProvenance, CtVolume, DefaultSegmentColors, newUid, writeSecondaryCapture } from '@covseg/dicom';
import { SegmentationModel, VolumeSegmentation, annotateRgb } from '@covseg/segmentation';
import { JobQuantification, RegionQuantificationResult } from './job-result';
import { KEY_IMAGE_SERIES_NUMBER, keyImageSeriesDescription, seriesNumberOfRun } from './result-series';

/** A slice becomes a key image when its infection covers at least this area (mm², 1 cm²). */
export const KEY_IMAGE_MIN_INFECTION_MM2 = 100;
/** At most this many slice images per result (the largest infections), plus the summary. */
export const KEY_IMAGE_MAX_SLICES = 24;
/** Lung window (HU) for the picture: level −600, width 1500. */
const WINDOW_LOW = -600 - 750;
const WINDOW_WIDTH = 1500;
/** A binary model's infection: red. */
const INFECTION_RGB = [255, 48, 32] as const;
/**
 * Burnt-in colour per infection label (index = label): a binary model's 1 is infection (red); a
 * multi-class model's 1 is ground-glass opacity and 2 consolidation, in the colours the SEG recommends
 * and the viewer shows (DefaultSegmentColors), so a key image reads like the overlay.
 */
const LABEL_RGB = {
  binary: [null, INFECTION_RGB],
  multiClass: [null, DefaultSegmentColors.groundGlassOpacity, DefaultSegmentColors.consolidation],
} as const;
const INFECTION_ALPHA = 0.45;
const BANNER = 'NOT FOR DIAGNOSIS · derived image · AI result';

export interface KeyImage {
  sopInstanceUID: string;
  bytes: Uint8Array;
}

/**
 * Secondary Capture key images for PACS viewers that cannot show a SEG (endpoint option `keyImages`):
 * one per slice whose infection covers ≥ KEY_IMAGE_MIN_INFECTION_MM2 (the KEY_IMAGE_MAX_SLICES largest,
 * in slice order), the CT in a lung window with the infection burnt in (a multi-class result: each class in
 * its SEG colour), then one summary image with the figures. Every image says NOT FOR DIAGNOSIS in its
 * pixels and ImageComments, is DERIVED\SECONDARY with BurnedInAnnotation YES, and references its source
 * image(s). No patient data is drawn. Rendered with sharp (SVG text composited onto the raw RGB picture).
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
  const multiClass = segmentation.multiClass === true;
  const labels = segmentation.infection;
  const areas: Array<{ z: number; mm2: number; consolidationMm2: number }> = [];
  for (let z = 0; z < slices; z++) {
    // Labels are 0, 1 or 2 (consolidation): a voxel counts once whatever its class.
    let count = 0;
    let consolidation = 0;
    for (let i = z * plane, end = i + plane; i < end; i++) {
      const label = labels[i]!;
      if (label !== 0) count++;
      if (label === 2) consolidation++;
    }
    if (count * pixelMm2 >= KEY_IMAGE_MIN_INFECTION_MM2) areas.push({ z, mm2: count * pixelMm2, consolidationMm2: consolidation * pixelMm2 });
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
  const cm2 = (mm2: number) => `${(mm2 / 100).toFixed(1)} cm²`;
  const burnt = multiClass ? 'ground-glass opacity (amber) and consolidation (magenta) masks' : 'infection mask (red)';
  for (const [index, { z, mm2, consolidationMm2 }] of chosen.entries()) {
    const rgb = sliceRgb(volume.hu, labels, z * plane, plane, multiClass ? LABEL_RGB.multiClass : LABEL_RGB.binary);
    const classes = multiClass ? ` (GGO ${cm2(mm2 - consolidationMm2)}, consolidation ${cm2(consolidationMm2)})` : '';
    const caption = `${model.name} ${model.version} · slice ${z + 1}/${slices} · infection ${cm2(mm2)}${classes} in this slice`;
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
        derivationDescription: `CT slice ${z + 1} of ${slices} in a lung window (level -600 HU, width 1500 HU) with the ${model.name} ${model.version} ${burnt} burnt in at ${INFECTION_ALPHA * 100} % opacity`,
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

/**
 * Lung-window grey with each infection label blended in its colour (`colours[label]`; a label without
 * one is drawn like label 1); a new rows × columns × 3 buffer.
 */
function sliceRgb(hu: Int16Array, labels: Uint8Array, offset: number, plane: number, colours: readonly (readonly number[] | null)[]): Uint8Array {
  const rgb = new Uint8Array(plane * 3);
  for (let i = 0; i < plane; i++) {
    const grey = Math.max(0, Math.min(255, Math.round(((hu[offset + i]! - WINDOW_LOW) / WINDOW_WIDTH) * 255)));
    const o = i * 3;
    const label = labels[offset + i]!;
    if (label !== 0) {
      const colour = colours[label] ?? colours[1]!;
      rgb[o] = Math.round(grey * (1 - INFECTION_ALPHA) + colour[0]! * INFECTION_ALPHA);
      rgb[o + 1] = Math.round(grey * (1 - INFECTION_ALPHA) + colour[1]! * INFECTION_ALPHA);
      rgb[o + 2] = Math.round(grey * (1 - INFECTION_ALPHA) + colour[2]! * INFECTION_ALPHA);
    } else rgb[o] = rgb[o + 1] = rgb[o + 2] = grey;
  }
  return rgb;
}

async function summaryPicture(q: JobQuantification, model: SegmentationModel, keySlices: number, slices: number): Promise<Uint8Array> {
  const region = (label: string, r: RegionQuantificationResult) => [
    `${label}: infection ${r.infectionVolumeMl.toFixed(1)} mL of ${r.lungVolumeMl.toFixed(1)} mL lung = ${r.involvementPercent.toFixed(2)} %`,
    // A multi-class result: the two classes that make up that infection.
    ...(r.classes
      ? [
          `   GGO ${r.classes.ggo.volumeMl.toFixed(1)} mL = ${r.classes.ggo.involvementPercent.toFixed(2)} %, consolidation ${r.classes.consolidation.volumeMl.toFixed(1)} mL = ${r.classes.consolidation.involvementPercent.toFixed(2)} %`,
        ]
      : []),
  ];
  const lines = [
    'COVID-19 lung involvement (automatic)',
    '',
    ...region('Both lungs', q),
    ...(q.right ? region('Right lung', q.right) : []),
    ...(q.left ? region('Left lung', q.left) : []),
    '',
    `% involvement = infection volume / lung volume x 100`,
    `Model ${model.name} ${model.version}${model.trained ? '' : ' (UNTRAINED: meaningless)'}`,
    `${keySlices} key slice(s) of ${slices} with >= ${KEY_IMAGE_MIN_INFECTION_MM2 / 100} cm2 infection`,
  ];
  return annotateRgb(new Uint8Array(512 * 512 * 3), 512, 512, [BANNER, '', ...lines], ['See the DICOM SEG and SR of this study for the result.']);
}
