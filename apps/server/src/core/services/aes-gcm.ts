import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SecretDecryptionError } from '../errors';

const VERSION = 'v1';
const IV_BYTES = 12; // 96-bit nonce: the size GCM is specified for (NIST SP 800-38D §5.2.1.1)
const TAG_BYTES = 16;

/**
 * AES-256-GCM for secrets at rest (PACS passwords and bearer tokens).
 *
 * Format: `v1.<iv>.<tag>.<ciphertext>`, each part base64url. The `context` (e.g. `pacs-endpoint:<id>`)
 * is bound as additional authenticated data, so a ciphertext copied into another row does not decrypt
 * there. A fresh random IV per encryption: never derive it from the plaintext or a counter kept in the
 * database, or a restored backup would reuse a nonce, which breaks GCM completely.
 *
 * The key buffer is copied; the caller keeps ownership of its own.
 */
export class AesGcm {
  private readonly key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError(`AES-256 needs a 32-byte key, got ${key.length} bytes`);
    this.key = Buffer.from(key);
  }

  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  /** Throws `SecretDecryptionError` (naming the context, never the content) on any mismatch. */
  decrypt(sealed: string, context: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) {
      throw new SecretDecryptionError(`Decrypting the secret of ${context} failed: not a ${VERSION} ciphertext`);
    }
    const [, iv, tag, body] = parts.map((p) => Buffer.from(p, 'base64url'));
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new SecretDecryptionError(`Decrypting the secret of ${context} failed: malformed nonce or tag`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new SecretDecryptionError(`Decrypting the secret of ${context} failed: wrong key or tampered ciphertext`, { cause });
    }
  }
}
