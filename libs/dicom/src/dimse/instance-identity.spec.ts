import { describe, expect, it } from 'vitest';
import { DicomParseError } from '../errors';
import { SeriesFactory } from '../../../../tests/factories/series.factory';
import { readInstanceIdentity } from './instance-identity';
import { encodeFileMeta } from './part10-meta';

describe('readInstanceIdentity', () => {
  it('reads the UIDs and modality from the head of a Part 10 file', () => {
    const series = SeriesFactory.ct().slices(1).build();
    const head = series.files[0]!.subarray(0, 2000);
    expect(readInstanceIdentity(head)).toEqual({
      sopClassUID: '1.2.840.10008.5.1.4.1.1.2',
      sopInstanceUID: series.instances[0]!.sopInstanceUID,
      studyInstanceUID: series.studyInstanceUID,
      seriesInstanceUID: series.seriesInstanceUID,
      modality: 'CT',
    });
  });

  it('refuses a Series Instance UID that would climb out of the store folder', () => {
    const series = SeriesFactory.ct()
      .slices(1)
      .modify((dataset) => (dataset.SeriesInstanceUID = '../../etc'))
      .build();
    expect(() => readInstanceIdentity(series.files[0]!)).toThrow(DicomParseError);
    expect(() => readInstanceIdentity(series.files[0]!)).toThrow('no valid seriesInstanceUID');
  });

  it('refuses bytes that are not a Part 10 file', () => {
    expect(() => readInstanceIdentity(new Uint8Array(300))).toThrow(DicomParseError);
  });
});

describe('encodeFileMeta', () => {
  it('writes the preamble, DICM and an even-length group whose length element is right', () => {
    const meta = encodeFileMeta({ mediaStorageSOPClassUID: '1.2.3', mediaStorageSOPInstanceUID: '1.2.3.4', transferSyntaxUID: '1.2.840.10008.1.2', sourceApplicationEntityTitle: 'PACS' });
    expect(meta.subarray(128, 132).toString('latin1')).toBe('DICM');
    expect(meta.length % 2).toBe(0);
    // (0002,0000) UL: the bytes that follow it.
    expect(meta.readUInt32LE(140)).toBe(meta.length - 144);
  });
});
