export { buildCtVolume } from './build-ct-volume';
export type { BuildCtVolumeOptions, CtVolume, CtVolumeGeometry, CtVolumeSlice, Vec3 } from './ct-volume';
export { CtVolumeStream, type CtVolumeStreamOptions } from './ct-volume-stream';
export { type InstanceHeader, PIXEL_SPACING_RANGE_MM, requirePixelSpacing, requireRescale, requireSliceSpacing, SLICE_SPACING_RANGE_MM } from './physical-ranges';
export { rescaleInto } from './rescale';
export { requireCtImage } from './series-checks';
export { expandFrames } from './enhanced-ct';
