import { ValidationPipe } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { json, type NextFunction, type Request, type Response } from 'express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { APP_CONFIG, AppConfig } from './core/repositories/config.repository';
import { ErrorFilter } from './error.filter';
import { serveViewer } from './core/http/viewer-static.middleware';
import { applySecurity } from './core/http/security.middleware';
import { QUEUE_CONFIG, QueueConfig } from './core/config/queue.config';
import { restrictToWorkerRoutes } from './core/http/worker-routes.middleware';
import { stampRequestArrival } from './core/http/request-timing.middleware';

/**
 * Applies what every instance of the server needs, whether started by main.ts or in-process by tests:
 * security headers and bounded body parsers, DTO validation, the one exception filter, OpenAPI at
 * /api/docs and the viewer at /.
 */
export function configureApp(app: NestExpressApplication): AppConfig {
  const config = app.get<AppConfig>(APP_CONFIG);
  // Keep a browser's idle connections (HTTP_KEEP_ALIVE_MS, see AppConfig): reusing one costs no accept.
  (app.getHttpServer() as import('node:http').Server).keepAliveTimeout = config.httpKeepAliveMs;
  // First, so the Server-Timing of a route can say how long everything before it took.
  stampRequestArrival(app);
  if (app.get<QueueConfig>(QUEUE_CONFIG).role === 'worker') restrictToWorkerRoutes(app);
  // A saved correction carries whole segments (a lung segment edited on 133 slices is ~1 MB of runs):
  // only this route gets a larger JSON limit; every other keeps MAX_JSON_BODY_BYTES. Registered before
  // applySecurity's parser and Nest's, which then see the body already parsed and skip it.
  // Never pass json() to app.use directly: Nest skips its own JSON parser when it finds a layer named
  // `jsonParser` (ExpressAdapter.isMiddlewareApplied), and every other route would lose its body.
  const correctionJson = json({ limit: '32mb' });
  app.use('/api/corrections', function correctionBodyParser(request: Request, response: Response, next: NextFunction) {
    correctionJson(request, response, next);
  });
  applySecurity(app, { maxBodyBytes: config.maxJsonBodyBytes });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.useGlobalFilters(new ErrorFilter());
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('covseg server')
      .setDescription('COVID-19 chest CT infection segmentation over DICOMweb: PACS endpoints, segmentation jobs, health')
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
  serveViewer(app, config.viewerDist);
  return config;
}
