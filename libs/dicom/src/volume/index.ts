export { buildCtVolume } from './build-ct-volume';
export type { BuildCtVolumeOptions, CtVolume, CtVolumeGeometry, CtVolumeSlice, Vec3 } from './ct-volume';
export { CtVolumeStream, type CtVolumeStreamOptions } from './ct-volume-stream';
