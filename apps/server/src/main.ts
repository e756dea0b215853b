import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { loadConfig } from './core/repositories/config.repository';
import { loadQueueConfig } from './core/config/queue.config';
import { traceRequests } from './core/http/request-trace';
import type { Server } from 'node:http';

async function bootstrap(): Promise<void> {
  // JSON logs, one object a line. Log UIDs, never patient names (STYLE.md: no PHI).
  const logger = new ConsoleLogger({ json: true });
  // Validate the environment before Nest starts, so a bad variable is one plain line, not a DI stack trace.
  loadConfig(process.env);
  const queue = loadQueueConfig(process.env);
  // abortOnError false: boot failures (model missing, bad key) reach the catch below with their message.
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(queue), { logger, bufferLogs: true, abortOnError: false });
  const config = configureApp(app);
  // A worker listens on a port of its own (health and metrics only), so it can share a host with an API.
  const port = queue.role === 'worker' ? queue.workerPort : config.port;
  await app.listen(port, config.host);
  // Benches only: per-request times to a file (see request-trace.ts).
  if (process.env.COVSEG_TRACE_HTTP) traceRequests(app.getHttpServer() as Server, process.env.COVSEG_TRACE_HTTP, queue.role);
  Logger.log(`covseg ${queue.role === 'all' ? 'server' : queue.role} listening on http://${config.host}:${port}${queue.redisUrl ? ` (queue on Redis, worker id ${queue.workerId})` : ''}`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  // Config and model errors name the bad variable or file; print them plainly and exit non-zero.
  process.stderr.write(`covseg server failed to start: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
  process.exit(1);
});
