/** DICOM UI value: digits and dots, at most 64 characters (PS3.5 §6.2, §9.1). */
export const UID_PATTERN = /^[0-9]+(\.[0-9]+)*$/;
