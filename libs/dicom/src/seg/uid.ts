/**
 * A new UID under the 2.25 root (PS3.5 B.2): "2.25." followed by a random (version 4) UUID read as one
 * unsigned 128-bit decimal integer. At most 44 characters, inside the 64 allowed.
 */
export function newUid(): string {
  const hex = globalThis.crypto.randomUUID().replace(/-/g, '');
  return `2.25.${BigInt(`0x${hex}`).toString(10)}`;
}

/** True for a syntactically valid UID (PS3.5 9.1): dot-separated numbers without leading zeros, at most 64 characters. */
export function isValidUid(value: string): boolean {
  return value.length <= 64 && /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(value);
}
