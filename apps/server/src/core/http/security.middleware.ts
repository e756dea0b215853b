import express from 'express';
import helmet from 'helmet';
import { NestExpressApplication } from '@nestjs/platform-express';
import { jsonDepth, MAX_JSON_DEPTH } from './json-depth';

/**
 * What the built viewer really loads (apps/viewer/dist, checked against `vite build`): its own module
 * scripts and stylesheet, API calls to the same origin, images as data: URLs (the upload view's PNGs)
 * and canvases, and one dedicated worker (the series stream, a bundled module file of ours:
 * `worker-src 'self'`, never blob:). No wasm, no inline script or style in the viewer: cornerstone sets styles
 * through the CSSOM (allowed), and ui/dom.ts sets `style` attributes the same way. Never add
 * 'unsafe-inline' or 'unsafe-eval' here to fix a page; give that page its own policy (the login page
 * allows its one script by hash, the API docs their inline styles).
 */
export const VIEWER_CSP: Record<string, string[]> = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'connect-src': ["'self'"],
  'font-src': ["'self'"],
  'worker-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  // Clickjacking: no page of ours may be framed, the admin page least of all (X-Frame-Options too, for old browsers).
  'frame-ancestors': ["'none'"],
};

/** Serialises a CSP directive map (for pages that set their own policy). */
export function cspHeader(directives: Record<string, string[]>): string {
  return Object.entries(directives)
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join('; ');
}

/** A client mistake in the body (too deep), in body-parser's error shape so the ErrorFilter maps it to 400. */
class JsonTooDeepError extends Error {
  override name = 'JsonTooDeepError';
  readonly status = 400;
  readonly expose = true;
}

/**
 * Security headers (helmet) and bounded body parsers. Registered before Nest's own parsers, which then
 * skip bodies already read. Body-parser errors carry `status` and `expose`; the ErrorFilter maps them
 * to 413 (too large), 400 (malformed or too deep) and 415 (charset), never 500.
 */
export function applySecurity(app: NestExpressApplication, options: { maxBodyBytes: number }): void {
  app.disable('x-powered-by');
  const docsPolicy = { ...VIEWER_CSP, 'style-src': ["'self'", "'unsafe-inline'"], 'script-src': ["'self'", "'unsafe-inline'"] };
  const headers = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: VIEWER_CSP },
    // TLS ends at the hospital's reverse proxy, which owns HSTS; over plain http it means nothing.
    strictTransportSecurity: false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  const docsHeaders = helmet({ contentSecurityPolicy: { useDefaults: false, directives: docsPolicy }, strictTransportSecurity: false, xFrameOptions: { action: 'deny' } });
  app.use((req: express.Request, res: express.Response, next: express.NextFunction) => (req.path.startsWith('/api/docs') ? docsHeaders(req, res, next) : headers(req, res, next)));

  const verify = (_req: unknown, _res: unknown, buffer: Buffer) => {
    if (jsonDepth(buffer) > MAX_JSON_DEPTH) throw new JsonTooDeepError(`The request body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`);
  };
  app.use(express.json({ limit: options.maxBodyBytes, verify }));
  // Forms: flat only (qs with depth 0 would still build nested objects from a[b][c]).
  app.use(express.urlencoded({ limit: options.maxBodyBytes, extended: false, parameterLimit: 1000 }));
}
