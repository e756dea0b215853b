import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { acceptsGzip, AnswerCompressor, isCompressibleType } from './answer-encoding';

describe('acceptsGzip', () => {
  it('reads Accept-Encoding with its q-values', () => {
    expect(acceptsGzip('gzip, deflate, br')).toBe(true);
    expect(acceptsGzip('br;q=1.0, gzip;q=0.8')).toBe(true);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip(['deflate', 'gzip'])).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('*, gzip;q=0')).toBe(false);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip('*;q=0')).toBe(false);
    expect(acceptsGzip('')).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
  });
});

describe('isCompressibleType', () => {
  it('compresses JSON only', () => {
    expect(isCompressibleType('application/dicom+json')).toBe(true);
    expect(isCompressibleType('application/json; charset=utf-8')).toBe(true);
    expect(isCompressibleType('multipart/related; type="application/dicom"; boundary=x')).toBe(false);
    expect(isCompressibleType(undefined)).toBe(false);
  });
});

describe('AnswerCompressor', () => {
  const metadata = new TextEncoder().encode(JSON.stringify(Array.from({ length: 40 }, (_, i) => ({ '00200013': { vr: 'IS', Value: [i] }, '00280030': { vr: 'DS', Value: [0.7, 0.7] } }))));

  it('gzips a JSON answer once, however many callers ask, and the gzip inflates to the same bytes', async () => {
    const compressor = new AnswerCompressor(1);
    const [a, b] = await Promise.all([compressor.gzipFor(metadata, 'application/dicom+json', 'gzip'), compressor.gzipFor(metadata, 'application/dicom+json', 'gzip, br')]);
    expect(a).toBeDefined();
    expect(b).toBe(a);
    expect(a!.length).toBeLessThan(metadata.length / 4);
    expect(new Uint8Array(gunzipSync(a!))).toEqual(metadata);
  });

  it('leaves an answer as it is for a caller without gzip, for other types, small bodies, or level 0', async () => {
    const compressor = new AnswerCompressor(1);
    expect(await compressor.gzipFor(metadata, 'application/dicom+json', 'identity')).toBeUndefined();
    expect(await compressor.gzipFor(metadata, 'multipart/related; type="application/dicom"', 'gzip')).toBeUndefined();
    expect(await compressor.gzipFor(new TextEncoder().encode('[]'), 'application/dicom+json', 'gzip')).toBeUndefined();
    expect(await new AnswerCompressor(0).gzipFor(metadata, 'application/dicom+json', 'gzip')).toBeUndefined();
  });
});
