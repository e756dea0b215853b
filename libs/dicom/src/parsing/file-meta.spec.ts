import { describe, expect, it } from 'vitest';
import { encodeFileMeta } from '../dimse/part10-meta';
import { readTransferSyntaxUID } from './file-meta';

const meta = (transferSyntaxUID: string) =>
  new Uint8Array(encodeFileMeta({ mediaStorageSOPClassUID: '1.2.840.10008.5.1.4.1.1.2', mediaStorageSOPInstanceUID: '1.2.3.4', transferSyntaxUID, sourceApplicationEntityTitle: 'AE' }));

describe('readTransferSyntaxUID', () => {
  it('reads the transfer syntax of a Part 10 file meta group, without its NUL padding', () => {
    expect(readTransferSyntaxUID(meta('1.2.840.10008.1.2.4.70'))).toBe('1.2.840.10008.1.2.4.70');
    expect(readTransferSyntaxUID(meta('1.2.840.10008.1.2.1'))).toBe('1.2.840.10008.1.2.1');
  });

  it('reads it from a view into a larger buffer', () => {
    const file = meta('1.2.840.10008.1.2.4.90');
    const larger = new Uint8Array(file.length + 10);
    larger.set(file, 7);
    expect(readTransferSyntaxUID(larger.subarray(7, 7 + file.length))).toBe('1.2.840.10008.1.2.4.90');
  });

  it('answers undefined for bytes that are not a Part 10 file or are cut inside the meta group', () => {
    expect(readTransferSyntaxUID(new Uint8Array(200))).toBeUndefined();
    const file = meta('1.2.840.10008.1.2.4.90');
    expect(readTransferSyntaxUID(file.subarray(0, 140))).toBeUndefined();
    const insideValue = Buffer.from(file).indexOf('1.2.840.10008.1.2.4.90') + 5;
    expect(readTransferSyntaxUID(file.subarray(0, insideValue))).toBeUndefined();
  });
});
