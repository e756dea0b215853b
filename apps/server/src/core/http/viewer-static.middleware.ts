import express from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NestExpressApplication } from '@nestjs/platform-express';

const PLACEHOLDER = `<!doctype html><html><head><meta charset="utf-8"><title>covseg</title></head>
<body><h1>covseg server</h1><p>The viewer is not built. Run <code>npm run build:viewer</code>, then reload.</p>
<p>API documentation: <a href="/api/docs">/api/docs</a></p></body></html>`;

/**
 * Serves the built viewer at `/` with an SPA fallback to index.html for every GET outside `/api`
 * (the viewer routes with the hash, but deep links may still arrive as paths). When the viewer is not
 * built, a placeholder page says so instead of a 404.
 */
export function serveViewer(app: NestExpressApplication, viewerDist: string): void {
  const index = join(viewerDist, 'index.html');
  const files = express.static(viewerDist, { index: 'index.html', fallthrough: true });
  // API requests never look on disk: a stat per proxied frame would queue behind the thread pool's other work.
  app.use((req: express.Request, res: express.Response, next: express.NextFunction) => (req.path.startsWith('/api/') ? next() : files(req, res, next)));
  app.use((req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (req.method !== 'GET' || req.path === '/api' || req.path.startsWith('/api/')) return next();
    // Server-rendered routes of the auth and metrics modules (login page, Prometheus scrape), not viewer routes.
    if (req.path === '/login' || req.path === '/metrics') return next();
    if (!(req.headers.accept ?? '').includes('text/html') && req.path !== '/') return next();
    if (existsSync(index)) return res.sendFile(index);
    res.type('html').send(PLACEHOLDER);
  });
}
