/**
 * Seals PACS secrets before they reach the database and opens them when a DICOMweb client needs them.
 * CoreModule provides the AES-256-GCM implementation (`AesGcmSecretCipher`). Never log either side.
 */
export abstract class SecretCipher {
  /** Returns an opaque string safe to store. */
  abstract seal(plain: string): string;
  /** Inverse of {@link seal}; throws when the sealed value cannot be opened. */
  abstract open(sealed: string): string;
}

