import { SecretCipher } from './secret-cipher';
import { loadOrCreateSecretKey } from '../repositories/secret-key.repository';
import type { TrustConfig } from '../config/trust.config';
import { AesGcm } from './aes-gcm';

// One context for every PACS secret: the core cipher interface seals without a row id. It still stops a
// sealed value from being opened as anything but a PACS secret (e.g. if the key is ever reused).
const CONTEXT = 'covseg:pacs-endpoint-secret';

/**
 * The core `SecretCipher` with AES-256-GCM. Sealed values
 * look like `v1.<iv>.<tag>.<ciphertext>`; opening a tampered or foreign value throws
 * `SecretDecryptionError`, whose message never contains either side.
 */
export class AesGcmSecretCipher extends SecretCipher {
  constructor(private readonly aes: AesGcm) {
    super();
  }

  /** Builds the cipher from `COVSEG_SECRET_KEY` or `DATA_DIR/secret.key` (created on first boot), as parsed at boot. */
  static fromConfig(config: Pick<TrustConfig, 'secretKey' | 'dataDir'>): AesGcmSecretCipher {
    return new AesGcmSecretCipher(new AesGcm(loadOrCreateSecretKey(config.secretKey, config.dataDir)));
  }

  seal(plain: string): string {
    return this.aes.encrypt(plain, CONTEXT);
  }

  open(sealed: string): string {
    return this.aes.decrypt(sealed, CONTEXT);
  }
}
