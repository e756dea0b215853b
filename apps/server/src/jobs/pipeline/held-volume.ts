import type { CtVolume } from '@covseg/dicom';
import { collectGarbage } from '../../core/memory/collect-garbage';
import { JobError } from './job.errors';

/**
 * A job read its volume's HU after they were let go of: a bug in the order of the job's steps. The job
 * fails with this rather than segment or encode from HU that may no longer be there.
 */
export class HuReleasedError extends JobError {
  override name = 'HuReleasedError';
  constructor(step: string) {
    super(`Internal error: ${step} read the volume's HU after they were released`, 'hu-released');
  }
}

/**
 * The HU of a job's volume, held in exactly one place so that they can be let go of as soon as the last
 * step that reads them is done (the last batch prepared, or the key images rendered), before the SEG
 * encode: a 600-slice volume's HU are 315 MB, the largest array of the job. Never keep `get()`'s array
 * beyond the step that asked for it, or `release()` frees nothing.
 */
export class HuHandle {
  private hu: Int16Array | undefined;

  constructor(hu: Int16Array) {
    this.hu = hu;
  }

  /** @throws HuReleasedError once released (`step` names the reader in the message). */
  get(step: string): Int16Array {
    if (this.hu === undefined) throw new HuReleasedError(step);
    return this.hu;
  }

  get released(): boolean {
    return this.hu === undefined;
  }

  /** Drops this handle's reference (idempotent); the memory goes once no other reference is left and the GC ran. */
  release(): void {
    this.hu = undefined;
  }
}

/** A CtVolume whose HU are held by a HuHandle (everything else as CtVolume has it). */
export interface HeldVolume extends Omit<CtVolume, 'hu'> {
  readonly hu: HuHandle;
}

/**
 * Moves `volume`'s HU into a handle. The caller must not keep `volume` itself (it still references the
 * HU): pass the result on and drop the original.
 */
export function holdVolume(volume: CtVolume): HeldVolume {
  const { hu, ...rest } = volume;
  return { ...rest, hu: new HuHandle(hu) };
}

/** Voxels from which a job forces garbage collections to free its HU and masks (see collectGarbage). */
export const COLLECT_GARBAGE_FROM_VOXELS = 384 * 512 * 512;

/** Whether a job on this volume forces the collections that free its HU and masks at once (COLLECT_GARBAGE_FROM_VOXELS). */
export function collectsGarbage(volume: Pick<CtVolume, 'geometry'>): boolean {
  return voxelsOf(volume) >= COLLECT_GARBAGE_FROM_VOXELS;
}

/** The volume's voxel count, from its geometry (its HU may be released already). */
export function voxelsOf(volume: Pick<CtVolume, 'geometry'>): number {
  const { rows, columns, slices } = volume.geometry;
  return rows * columns * slices;
}

/**
 * Lets go of the job's HU in this thread: the handle's reference goes, and for a large volume
 * (collectsGarbage) a collection runs at once, so that the memory is freed now rather than at the
 * thread's next full collection (a shared buffer goes once every thread that saw it has collected).
 */
export function releaseHu(volume: HeldVolume): void {
  volume.hu.release();
  if (collectsGarbage(volume)) collectGarbage();
}
