import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDicom } from '@covseg/dicom';

const archive = resolve(__dirname, '../fixtures/ct/lidc-idri-0001/lidc-idri-0001.tar.xz');
const cacheDir = join(tmpdir(), 'covseg-lidc-idri-0001');

/**
 * Unpacks the committed LIDC-IDRI-0001 series (133 axial CT slices, CC BY 3.0, see the ATTRIBUTION file
 * beside the archive) once per machine into the temp folder and returns the slice paths sorted along
 * the table (ImagePositionPatient z; the file names are NOT in slice order).
 */
export function lidcSlicePaths(): string[] {
  const folder = join(cacheDir, 'lidc-idri-0001-chest-ct');
  if (!existsSync(folder)) {
    mkdirSync(tmpdir(), { recursive: true });
    const staging = mkdtempSync(join(tmpdir(), 'covseg-lidc-unpack-'));
    execFileSync('tar', ['-xJf', archive, '-C', staging]);
    try {
      renameSync(staging, cacheDir);
    } catch {
      // Another test file unpacked it at the same time; theirs is as good as ours.
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return readdirSync(folder)
    .filter((name) => name.endsWith('.dcm'))
    .map((name) => join(folder, name))
    .map((path) => ({ path, z: (parseDicom(new Uint8Array(readFileSync(path))).dataset as { ImagePositionPatient: number[] }).ImagePositionPatient[2] }))
    .sort((a, b) => a.z - b.z)
    .map((slice) => slice.path);
}

/** `count` contiguous slices starting at `start` (in z order), as bytes. */
export function lidcSlices(count: number, start = 0): Uint8Array[] {
  const paths = lidcSlicePaths();
  if (start + count > paths.length) throw new Error(`LIDC-IDRI-0001 has ${paths.length} slices; asked for ${count} from ${start}`);
  return paths.slice(start, start + count).map((path) => new Uint8Array(readFileSync(path)));
}
