import { data } from 'dcmjs';

import { DicomError } from '../errors';
import { DicomwebResponseError } from './dicomweb-errors';

/** One attribute of the DICOM JSON model (PS3.18 F.2.2). */
export interface DicomJsonAttribute {
  vr: string;
  Value?: unknown[];
  BulkDataURI?: string;
  InlineBinary?: string;
}

/** A dataset in the DICOM JSON model (PS3.18 F.2), keyed by 8-hex-digit tag: what QIDO-RS and WADO-RS metadata return. */
export type DicomJsonDataset = Record<string, DicomJsonAttribute>;

const tagCache = new Map<string, string>();

/** The 8-hex-digit tag of a DICOM keyword (`StudyInstanceUID` → `0020000D`), from dcmjs's dictionary. */
export function tagOfKeyword(keyword: string): string {
  let tag = tagCache.get(keyword);
  if (!tag) {
    const entry = data.DicomMetaDictionary.nameMap[keyword];
    if (!entry) throw new DicomError(`unknown DICOM keyword ${keyword}`);
    tag = data.DicomMetaDictionary.unpunctuateTag(entry.tag);
    tagCache.set(keyword, tag);
  }
  return tag;
}

/** All values of an attribute by keyword; an empty array when the attribute is absent or empty. */
export function getJsonValues(dataset: DicomJsonDataset, keyword: string): unknown[] {
  return dataset[tagOfKeyword(keyword)]?.Value ?? [];
}

/**
 * The first value of a string-like attribute (UI, CS, LO, DA, ...) by keyword, or undefined.
 * Person names (PN) come back as their `Alphabetic` component.
 */
export function getJsonString(dataset: DicomJsonDataset, keyword: string): string | undefined {
  const value = getJsonValues(dataset, keyword)[0];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object') {
    // PN in DICOM JSON is an object of component groups (PS3.18 F.2.2).
    const name = value as { Alphabetic?: unknown; Ideographic?: unknown; Phonetic?: unknown };
    const first = name.Alphabetic ?? name.Ideographic ?? name.Phonetic;
    return first === undefined ? undefined : String(first);
  }
  return String(value);
}

/** Like {@link getJsonString}, but throws when the attribute is missing (a PACS that omits a required key). */
export function requireJsonString(dataset: DicomJsonDataset, keyword: string): string {
  const value = getJsonString(dataset, keyword);
  if (value === undefined) throw new DicomwebResponseError(`DICOM JSON dataset lacks required attribute ${keyword}`);
  return value;
}

/** The first value of a numeric attribute (US, IS, DS, ...) by keyword, or undefined. */
export function getJsonNumber(dataset: DicomJsonDataset, keyword: string): number | undefined {
  const value = getJsonValues(dataset, keyword)[0];
  if (value === undefined || value === null || value === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/** Items of a sequence attribute (SQ) by keyword; an empty array when absent. */
export function getJsonSequence(dataset: DicomJsonDataset, keyword: string): DicomJsonDataset[] {
  return getJsonValues(dataset, keyword) as DicomJsonDataset[];
}

/**
 * Parses a QIDO-RS or metadata body: a JSON array of datasets, or empty (204 / empty body).
 * @throws DicomwebResponseError when the body is not a JSON array.
 */
export function parseDicomJsonArray(body: Uint8Array, what: string): DicomJsonDataset[] {
  if (body.byteLength === 0) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (cause) {
    throw new DicomwebResponseError(`${what} returned a body that is not JSON`, { cause });
  }
  if (!Array.isArray(parsed)) throw new DicomwebResponseError(`${what} returned JSON that is not an array of datasets`);
  return parsed as DicomJsonDataset[];
}
