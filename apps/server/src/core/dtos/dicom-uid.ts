/**
 * DICOM UI value (PS3.5 §9.1): components of digits separated by dots, each component without a
 * leading zero unless it is the single digit 0 (`01.2` is malformed), at most 64 characters (§6.2).
 */
export const UID_PATTERN = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;
