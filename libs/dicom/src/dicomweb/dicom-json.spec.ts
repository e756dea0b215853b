import { describe, expect, it } from 'vitest';

import { getJsonNumber, getJsonSequence, getJsonString, parseDicomJsonArray, requireJsonString, tagOfKeyword } from './dicom-json';
import { DicomwebResponseError } from './dicomweb-errors';
import { parseRetryAfter } from './dicomweb-transport';

const study = {
  '0020000D': { vr: 'UI', Value: ['1.2.3'] },
  '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane' }] },
  '00201208': { vr: 'IS', Value: [133] },
  '00081198': { vr: 'SQ', Value: [{ '00081155': { vr: 'UI', Value: ['4.5.6'] } }] },
  '00081030': { vr: 'LO' },
};

describe('DICOM JSON helpers', () => {
  it('finds tags by keyword through the dcmjs dictionary', () => {
    expect(tagOfKeyword('StudyInstanceUID')).toBe('0020000D');
    expect(() => tagOfKeyword('NoSuchKeyword')).toThrow(/unknown DICOM keyword NoSuchKeyword/);
  });

  it('reads strings, person names, numbers and sequences by keyword', () => {
    expect(getJsonString(study, 'StudyInstanceUID')).toBe('1.2.3');
    expect(getJsonString(study, 'PatientName')).toBe('Doe^Jane');
    expect(getJsonNumber(study, 'NumberOfStudyRelatedInstances')).toBe(133);
    expect(getJsonString(getJsonSequence(study, 'FailedSOPSequence')[0], 'ReferencedSOPInstanceUID')).toBe('4.5.6');
  });

  it('returns undefined for an attribute without a value, and requireJsonString throws for it', () => {
    expect(getJsonString(study, 'StudyDescription')).toBeUndefined();
    expect(() => requireJsonString(study, 'StudyDescription')).toThrow(new DicomwebResponseError('DICOM JSON dataset lacks required attribute StudyDescription'));
  });

  it('parses an empty body as no results and rejects JSON that is not an array', () => {
    expect(parseDicomJsonArray(new Uint8Array(0), 'QIDO-RS')).toEqual([]);
    expect(() => parseDicomJsonArray(new TextEncoder().encode('{}'), 'QIDO-RS /studies')).toThrow(/QIDO-RS \/studies returned JSON that is not an array/);
    expect(() => parseDicomJsonArray(new TextEncoder().encode('<html>'), 'QIDO-RS /studies')).toThrow(/not JSON/);
  });
});

describe('Retry-After', () => {
  it('reads delta-seconds and HTTP dates as milliseconds to wait', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
