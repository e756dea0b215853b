import { describe, expect, it } from 'vitest';
import { ProxyPathRejectedError } from '../viewer.errors';
import { joinUnderBase, requireSafeProxyPath } from './proxy-path';
import { splitProxyUrl } from '../controllers/dicomweb-proxy.controller';

const ID = '0b7b2c1e-6a51-4f39-9d1e-2a3b4c5d6e7f';

describe('the DICOMweb proxy path check', () => {
  it('accepts QIDO and WADO paths made of UIDs and resource names', () => {
    expect(requireSafeProxyPath('studies/1.2.3/series/4.5.6/instances/7.8/frames/1', '')).toEqual({ path: 'studies/1.2.3/series/4.5.6/instances/7.8/frames/1', query: '' });
    expect(requireSafeProxyPath('studies', 'PatientID=P1&limit=10').query).toBe('PatientID=P1&limit=10');
  });

  it.each([
    ['studies/../../admin', 'dot segments'],
    ['studies/1.2/..', 'dot segments'],
    ['studies/1.2%2F..%2Fsystem', 'percent-encoded'],
    ['studies/1.2%5c..', 'percent-encoded'],
    ['studies/%2e%2e/x', 'percent-encoded'],
    ['studies\\..\\system', 'backslashes'],
    ['/etc/passwd', 'absolute paths'],
    ['studies//1.2', 'empty path segments'],
    ['http://evil.example/dicom-web/studies', 'absolute URLs'],
    ['tools/find', 'must start with studies'],
    ['studies/1.2@evil.example', 'characters outside'],
    ['', 'empty'],
  ])('rejects %s (%s)', (path, reason) => {
    expect(() => requireSafeProxyPath(path, '')).toThrow(ProxyPathRejectedError);
    expect(() => requireSafeProxyPath(path, '')).toThrow(reason);
  });

  it('rejects queries with control characters or fragments', () => {
    expect(() => requireSafeProxyPath('studies', 'a=%0d%0aHost:evil')).toThrow(ProxyPathRejectedError);
    expect(() => requireSafeProxyPath('studies', 'a=1#frag')).toThrow(ProxyPathRejectedError);
  });

  it('keeps the joined URL on the endpoint host and under its base path', () => {
    const url = joinUnderBase('http://127.0.0.1:8042/dicom-web/', 'studies/1.2/metadata', 'includefield=all');
    expect(url.toString()).toBe('http://127.0.0.1:8042/dicom-web/studies/1.2/metadata?includefield=all');
  });

  it('splits the raw URL without decoding it, so encoded separators reach the check', () => {
    const split = splitProxyUrl(`/api/dicomweb/${ID}/studies/1.2%2F..%2Fx?limit=1`);
    expect(split).toEqual({ endpointId: ID, rawPath: 'studies/1.2%2F..%2Fx', rawQuery: 'limit=1' });
    expect(() => requireSafeProxyPath(split.rawPath, split.rawQuery)).toThrow('percent-encoded');
  });

  it('refuses endpoint ids that are not UUIDs', () => {
    expect(() => splitProxyUrl('/api/dicomweb/..%2F/studies')).toThrow(ProxyPathRejectedError);
  });
});
