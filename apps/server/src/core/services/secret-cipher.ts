/**
 * Seals PACS secrets before they reach the database and opens them when a DICOMweb client needs them.
 * The default is a pass-through; the trust module replaces the provider with encryption at rest
 * (`{ provide: SecretCipher, useClass: ... }` in core.module.ts). Never log either side.
 */
export abstract class SecretCipher {
  /** Returns an opaque string safe to store. */
  abstract seal(plain: string): string;
  /** Inverse of {@link seal}; throws when the sealed value cannot be opened. */
  abstract open(sealed: string): string;
}

/** Stores secrets as they are. Only for the first iteration, until the trust module's cipher lands. */
export class PassThroughSecretCipher extends SecretCipher {
  seal(plain: string): string {
    return plain;
  }
  open(sealed: string): string {
    return sealed;
  }
}
