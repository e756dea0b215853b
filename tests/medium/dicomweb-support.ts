import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const lidcArchive = resolve(__dirname, '../fixtures/ct/lidc-idri-0001/lidc-idri-0001.tar.xz');

/**
 * Unpacks the committed LIDC-IDRI-0001 chest CT (133 slices, CC BY 3.0) into a fresh temp folder, so the
 * medium tests run on a clean clone without ../shared. Call `cleanup()` in afterAll.
 */
export function unpackLidc(): { dir: string; files: string[]; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'covseg-lidc-'));
  execFileSync('tar', ['-xJf', lidcArchive, '-C', root]);
  const dir = join(root, 'lidc-idri-0001-chest-ct');
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.dcm'))
    .sort()
    .map((name) => join(dir, name));
  return { dir, files, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
