export { buildCtVolume } from './build-ct-volume';
export type { BuildCtVolumeOptions, CtVolume, CtVolumeGeometry, CtVolumeSlice, Vec3 } from './ct-volume';
