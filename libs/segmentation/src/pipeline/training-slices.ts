import { InvalidInputError } from '../errors';
import type { ModelContract } from '../inference/model-contract';
import { computeLungMask, type LungMaskOptions } from '../lung/lung-mask';
import { computeLungFrame } from '../preprocess/frame';
import type { PixelRect } from '../preprocess/resize';
import { buildWindowLut, windowToUint8 } from '../preprocess/window';
import type { CtVolumeInput } from './segment-volume';

/**
 * A volume framed the way segmentVolume frames it for the model (docs/CONTRACTS.md §1 steps 1-2):
 * the same lung mask, the same per-slice lung frame, the same window. What training reads as one slice
 * (training/covseg_training/dataset.py: "images are already framed") is `windowedCrop(z)`; its mask is
 * `crop(labelmap, z)` of a labelmap on the same grid. Steps 3-4 (resize to S x S, x / 255) are left to
 * the trainer, as for any training slice.
 */
export interface FramedVolume {
  /** Per slice: the model frame in pixels, or null when the slice has too little lung to go to the model. */
  frames: (PixelRect | null)[];
  /** The 8-bit windowed crop of slice z inside its frame, row-major `frame.width` columns. Caller owns it. */
  windowedCrop(z: number): Uint8Array;
  /** The same crop of a slice-major labelmap (any non-zero = 1) on the volume's grid. Caller owns it. */
  crop(labelmap: Uint8Array, z: number): Uint8Array;
}

export function frameVolumeForTraining(
  volume: CtVolumeInput,
  contract: Pick<ModelContract, 'windowCenter' | 'windowWidth' | 'frameMargin' | 'minFrameMm' | 'minLungAreaMm2'>,
  lung: Omit<LungMaskOptions, 'columnsIncreaseTowardPatientLeft' | 'slicesIncreaseTowardHead' | 'rowsIncreaseTowardPosterior'> = {},
): FramedVolume {
  const { hu, rows, columns, slices } = volume;
  const plane = rows * columns;
  if (!(rows > 0 && columns > 0 && slices > 0) || hu.length !== plane * slices) {
    throw new InvalidInputError(`Framing a volume failed: ${hu.length} voxels do not make ${columns} x ${rows} x ${slices}`);
  }
  const spacing = { rowSpacingMm: volume.rowSpacingMm, columnSpacingMm: volume.columnSpacingMm, sliceSpacingMm: volume.sliceSpacingMm };
  // segmentVolume's default region ('lung'): its lung mask, finished on every slice, with the server's options
  // and the volume's orientation (the airway tree starts at the head end; hull pockets look posterior).
  const mask = computeLungMask(hu, { columns, rows, slices }, spacing, {
    ...lung,
    columnsIncreaseTowardPatientLeft: volume.columnsIncreaseTowardPatientLeft ?? true,
    slicesIncreaseTowardHead: volume.slicesIncreaseTowardHead ?? true,
    rowsIncreaseTowardPosterior: volume.rowsIncreaseTowardPosterior ?? true,
  }).mask;
  const frames = Array.from({ length: slices }, (_, z) => computeLungFrame(mask.subarray(z * plane, (z + 1) * plane), columns, rows, spacing, contract) ?? null);
  const lut = buildWindowLut(contract.windowCenter, contract.windowWidth);
  const frameOf = (z: number): PixelRect => {
    const frame = Number.isInteger(z) && z >= 0 && z < slices ? frames[z] : undefined;
    if (!frame) throw new InvalidInputError(`Framing a volume failed: slice ${z} has no model frame`);
    return frame;
  };
  const cropRows = <T extends Int16Array | Uint8Array>(data: T, z: number, frame: PixelRect, each: (src: T, dst: Uint8Array, at: number) => void) => {
    const out = new Uint8Array(frame.width * frame.height);
    for (let y = 0; y < frame.height; y++) {
      const start = z * plane + (frame.y + y) * columns + frame.x;
      each(data.subarray(start, start + frame.width) as T, out, y * frame.width);
    }
    return out;
  };
  return {
    frames,
    windowedCrop: (z) =>
      cropRows(hu, z, frameOf(z), (src, dst, at) => {
        windowToUint8(src, contract.windowCenter, contract.windowWidth, dst.subarray(at, at + src.length), lut);
      }),
    crop: (labelmap, z) => {
      if (labelmap.length !== hu.length) throw new InvalidInputError(`Framing a labelmap failed: ${labelmap.length} voxels, the volume has ${hu.length}`);
      return cropRows(labelmap, z, frameOf(z), (src, dst, at) => {
        for (let i = 0; i < src.length; i++) dst[at + i] = src[i] ? 1 : 0;
      });
    },
  };
}
