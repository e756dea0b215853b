import { InvalidPacsUrlError } from '../../core/errors';

/**
 * Validates a PACS DICOMweb base URL and returns it without trailing slashes. Refused: anything but
 * http/https (file:, data:, gopher: would turn the proxy into a local file reader or an SSRF
 * launcher); user:password@ (credentials belong in the encrypted secret, never in a URL that is
 * logged and shown); fragments (meaningless to a server, a sign of a pasted browser link); and
 * query strings (DICOMweb paths are appended, so a query would end up in the middle of the path).
 * The message names the rule, never the URL, which could hold credentials.
 */
export function requireValidPacsBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw new InvalidPacsUrlError('Validating the PACS base URL failed: not an absolute URL', { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidPacsUrlError(`Validating the PACS base URL failed: protocol ${url.protocol} is not http or https`);
  }
  if (url.username || url.password) {
    throw new InvalidPacsUrlError('Validating the PACS base URL failed: it must not carry credentials; put them in the endpoint secret');
  }
  if (value.includes('#')) throw new InvalidPacsUrlError('Validating the PACS base URL failed: it must not have a fragment');
  if (url.search || value.includes('?')) throw new InvalidPacsUrlError('Validating the PACS base URL failed: it must not have a query string');
  if (!url.hostname) throw new InvalidPacsUrlError('Validating the PACS base URL failed: it has no host');
  return url.toString().replace(/\/+$/, '');
}
