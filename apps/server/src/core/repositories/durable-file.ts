import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';

/**
 * Writes `bytes` to `filePath` so that a crash leaves either the old file or the whole new one: a temp
 * file beside it (owner-only, 0600: our files hold patient data), fsync, then rename.
 * `tempTag` makes the temp name unique per writer. The caller keeps `bytes`; nothing is retained.
 */
export function writeFileDurably(filePath: string, bytes: Uint8Array, tempTag: string): void {
  const temp = `${filePath}.${tempTag}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, filePath);
}
