import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SecretKeyError } from '../errors';

/**
 * Returns the AES key for secrets at rest: `envKey` (from `COVSEG_SECRET_KEY`) when given, else the
 * key in `dataDir/secret.key`, created on first boot with mode 0600. Losing that file makes stored
 * PACS secrets unreadable (they must be re-entered), so back it up apart from the database: a backup
 * holding both defeats encryption at rest. Returns a fresh 32-byte Buffer the caller owns.
 */
export function loadOrCreateSecretKey(envKey: Uint8Array | undefined, dataDir: string): Buffer {
  if (envKey) return Buffer.from(envKey);
  const path = join(dataDir, 'secret.key');
  mkdirSync(dataDir, { recursive: true });
  try {
    // 'wx' fails if the file exists, so two processes booting at once cannot overwrite each other's key.
    writeFileSync(path, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new SecretKeyError(`Creating the secret key file failed: ${path}`, { cause: error });
    }
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new SecretKeyError(`The secret key file is readable by group or others (mode ${mode.toString(8)}): ${path}; run chmod 600 on it`);
  }
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new SecretKeyError(`The secret key file does not hold 32 base64 bytes: ${path}`);
  return key;
}
