import { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';

/** The only routes a ROLE=worker process answers: liveness/readiness and Prometheus metrics. */
const WORKER_ROUTES = new Set(['/api/health', '/metrics']);

/**
 * ROLE=worker serves no API: every path except health and metrics answers 404 before any controller,
 * body parser or the viewer sees it. Registered first, so nothing else can answer in front of it.
 */
export function restrictToWorkerRoutes(app: NestExpressApplication): void {
  app.use(function workerRoutesOnly(request: Request, response: Response, next: NextFunction) {
    if (request.method === 'GET' && WORKER_ROUTES.has(request.path)) return next();
    response.status(404).json({ statusCode: 404, message: 'This is a ROLE=worker process: it serves only GET /api/health and GET /metrics' });
  });
}
