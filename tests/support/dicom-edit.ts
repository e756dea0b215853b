import { readFileSync } from 'node:fs';
import { findExplicitElement, requireElement } from '../fixtures/bad-input/dicom-bytes';
import { BASE_CT_SLICE } from './hostile-dicom';

/** A tag as (group, element). */
export type Tag = readonly [number, number];

export const TAGS = {
  SOPClassUID: [0x0008, 0x0016],
  Modality: [0x0008, 0x0060],
  MediaStorageSOPClassUID: [0x0002, 0x0002],
  PixelSpacing: [0x0028, 0x0030],
  RescaleIntercept: [0x0028, 0x1052],
  RescaleSlope: [0x0028, 0x1053],
  Rows: [0x0028, 0x0010],
  Columns: [0x0028, 0x0011],
  BitsAllocated: [0x0028, 0x0100],
  PhotometricInterpretation: [0x0028, 0x0004],
  SamplesPerPixel: [0x0028, 0x0002],
} as const satisfies Record<string, Tag>;

export function baseCtSlice(): Uint8Array {
  return new Uint8Array(readFileSync(BASE_CT_SLICE));
}

/**
 * A copy of an Explicit VR Little Endian Part 10 file with one element's value replaced by raw bytes
 * (text is written as is, padded to even length with a space, or NUL for UI), or removed when
 * `value` is null. Works on bytes, so values no DICOM writer would produce (`NaN`, `1e-300`, `abc`)
 * reach the server exactly as a hostile client sends them. The element must exist with a 2-byte length.
 */
export function withValue(bytes: Uint8Array, [group, element]: Tag, value: string | Uint8Array | null): Uint8Array {
  const { offset, vr, lengthOffset, lengthBytes } = requireElement(bytes, group, element);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const oldLength = lengthBytes === 2 ? view.getUint16(lengthOffset, true) : view.getUint32(lengthOffset, true);
  const end = lengthOffset + lengthBytes + oldLength;
  if (value === null) return concatBytes(bytes.subarray(0, offset), bytes.subarray(end));
  let raw = typeof value === 'string' ? new TextEncoder().encode(value) : value;
  if (raw.length % 2 === 1) raw = concatBytes(raw, new Uint8Array([vr === 'UI' ? 0 : 0x20]));
  const header = bytes.slice(offset, lengthOffset + lengthBytes);
  const headerView = new DataView(header.buffer);
  if (lengthBytes === 2) headerView.setUint16(lengthOffset - offset, raw.length, true);
  else headerView.setUint32(lengthOffset - offset, raw.length, true);
  return concatBytes(bytes.subarray(0, offset), header, raw, bytes.subarray(end));
}

/** Binary US value (little endian) for withValue. */
export const us = (n: number) => new Uint8Array(new Uint16Array([n]).buffer);

export function hasElement(bytes: Uint8Array, [group, element]: Tag): boolean {
  return findExplicitElement(bytes, group, element) >= 0;
}

function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
