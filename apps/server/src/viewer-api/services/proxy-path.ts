import { ProxyPathRejectedError } from '../viewer.errors';
import { whyNotDicomwebPath } from './dicomweb-resource';

/** First path segments of DICOMweb resources the viewer reads (PS3.18 §10.4 WADO-RS, §10.6 QIDO-RS). */
const ROOTS = new Set(['studies', 'series', 'instances']);
/** One path segment: UIDs (digits and dots), resource names (`metadata`, `frames`, `rendered`) and frame lists (`1,2`). */
const SEGMENT = /^[A-Za-z0-9._,-]+$/;
const MAX_PATH = 1024;
const MAX_QUERY = 2048;

/**
 * Checks the raw (still percent-encoded) path and query the browser sent below
 * `/api/dicomweb/:endpointId/` and returns them for appending to the endpoint's base URL.
 * Works on the raw text on purpose: Express has already decoded `req.params`, so `%2F` or `%2e%2e` would
 * look harmless there. Never switch this to decoded params, or an encoded `..` walks out of the base URL.
 * @throws ProxyPathRejectedError naming the reason.
 */
export function requireSafeProxyPath(rawPath: string, rawQuery: string): { path: string; query: string } {
  const reject = (why: string): never => {
    throw new ProxyPathRejectedError(`Proxying to the PACS refused: ${why}`);
  };
  if (rawPath.length === 0) reject('the path is empty');
  if (rawPath.length > MAX_PATH) reject(`the path is longer than ${MAX_PATH} characters`);
  if (rawQuery.length > MAX_QUERY) reject(`the query is longer than ${MAX_QUERY} characters`);
  if (rawPath.includes('%')) reject('percent-encoded characters are not allowed in the path');
  if (rawPath.includes('\\')) reject('backslashes are not allowed');
  if (/^[a-z][a-z0-9+.-]*:/i.test(rawPath)) reject('absolute URLs are not allowed');
  if (rawPath.startsWith('/') || rawPath.includes('//')) reject('empty path segments or absolute paths are not allowed');
  const segments = rawPath.split('/');
  for (const segment of segments) {
    if (segment === '.' || segment === '..') reject('dot segments are not allowed');
    if (!SEGMENT.test(segment)) reject(`the path segment ${JSON.stringify(segment.slice(0, 40))} has characters outside [A-Za-z0-9._,-]`);
  }
  if (!ROOTS.has(segments[0])) reject(`the path must start with studies, series or instances, not ${JSON.stringify(segments[0].slice(0, 40))}`);
  const notDicomweb = whyNotDicomwebPath(segments);
  if (notDicomweb) reject(`only DICOMweb resources pass (PS3.18): ${notDicomweb}`);
  if (/[\\\s#]/.test(rawQuery) || /%(?:00|0a|0d)/i.test(rawQuery)) reject('the query has forbidden characters');
  return { path: rawPath, query: rawQuery };
}

/**
 * Joins the endpoint's base URL and a checked path, and re-checks the result stays under the base
 * (same origin, path prefix), so a path can never change the host.
 */
export function joinUnderBase(baseUrl: string, path: string, query: string): URL {
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const target = new URL(`${base.origin}${basePath}/${path}${query ? `?${query}` : ''}`);
  if (target.origin !== base.origin || !target.pathname.startsWith(`${basePath}/`)) {
    throw new ProxyPathRejectedError('Proxying to the PACS refused: the path leaves the endpoint base URL');
  }
  return target;
}
