import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SecretKeyError } from '../errors';
import { TRUST_CONFIG, TrustConfig } from '../trust.config';

/**
 * Owns the AES key for secrets at rest: `COVSEG_SECRET_KEY` when set, else `DATA_DIR/secret.key`,
 * created on first boot with mode 0600. Losing this file makes stored PACS secrets unreadable (they
 * must be re-entered), so back it up apart from the database: a backup holding both defeats the point.
 */
@Injectable()
export class SecretKeyRepository {
  constructor(@Inject(TRUST_CONFIG) private readonly config: TrustConfig) {}

  /** Returns a fresh 32-byte Buffer the caller owns. */
  loadOrCreateKey(): Buffer {
    if (this.config.secretKey) return Buffer.from(this.config.secretKey);
    const path = join(this.config.dataDir, 'secret.key');
    mkdirSync(this.config.dataDir, { recursive: true });
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
}
