import { describe, expect, it } from 'vitest';
import { InvalidPacsUrlError } from '../../core/errors';
import { requireValidPacsBaseUrl } from './pacs-url.policy';

describe('requireValidPacsBaseUrl', () => {
  it('accepts http and https DICOMweb roots and drops trailing slashes', () => {
    expect(requireValidPacsBaseUrl('http://127.0.0.1:8042/dicom-web/')).toBe('http://127.0.0.1:8042/dicom-web');
    expect(requireValidPacsBaseUrl('https://pacs.example.org/wado')).toBe('https://pacs.example.org/wado');
  });

  it.each([
    ['file:///etc/passwd', /protocol file:/],
    ['ftp://pacs/dicom-web', /protocol ftp:/],
    ['http://admin:hunter2@pacs/dicom-web', /credentials/],
    ['http://pacs/dicom-web#studies', /fragment/],
    ['http://pacs/dicom-web?x=1', /query/],
    ['not a url', /not an absolute URL/],
  ])('refuses %s', (url, reason) => {
    expect(() => requireValidPacsBaseUrl(url)).toThrow(InvalidPacsUrlError);
    expect(() => requireValidPacsBaseUrl(url)).toThrow(reason);
  });

  it('never echoes a URL with credentials in its message', () => {
    try {
      requireValidPacsBaseUrl('http://admin:hunter2@pacs/dicom-web');
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});
