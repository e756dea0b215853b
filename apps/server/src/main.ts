import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { loadConfig } from './core/repositories/config.repository';

async function bootstrap(): Promise<void> {
  // JSON logs, one object a line. Log UIDs, never patient names (STYLE.md: no PHI).
  const logger = new ConsoleLogger({ json: true });
  // Validate the environment before Nest starts, so a bad variable is one plain line, not a DI stack trace.
  loadConfig(process.env);
  // abortOnError false: boot failures (model missing, bad key) reach the catch below with their message.
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { logger, bufferLogs: true, abortOnError: false });
  const config = configureApp(app);
  await app.listen(config.port, config.host);
  Logger.log(`covseg server listening on http://${config.host}:${config.port}`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  // Config and model errors name the bad variable or file; print them plainly and exit non-zero.
  process.stderr.write(`covseg server failed to start: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
  process.exit(1);
});
