import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, MetricsRegistry } from './metrics-registry';

/** Outcome of a segmentation job as counted by `covseg_jobs_total`. */
export type JobOutcome = 'succeeded' | 'failed' | 'cancelled';

/**
 * The server's metrics. The job runner, the DICOMweb client and the HTTP layer report into this
 * singleton; `/metrics` renders it. Label values are bounded sets (stage names, endpoint ids,
 * outcomes) – never UIDs, which would make one time series per study.
 */
@Injectable()
export class MetricsService {
  private readonly registry = new MetricsRegistry();
  private readonly startedAt = Date.now();

  readonly jobs = this.registry.register(new Counter('covseg_jobs_total', 'Segmentation jobs finished, by outcome.', ['outcome']));
  readonly jobsStarted = this.registry.register(new Counter('covseg_jobs_started_total', 'Segmentation job attempts started.', []));
  readonly stageSeconds = this.registry.register(
    new Histogram('covseg_job_stage_duration_seconds', 'Duration of one pipeline stage of a job, in seconds.', ['stage'], [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]),
  );
  readonly pacsErrors = this.registry.register(new Counter('covseg_pacs_errors_total', 'Failed requests to a PACS, by endpoint and kind.', ['endpoint', 'kind']));
  readonly httpRequests = this.registry.register(new Counter('covseg_http_requests_total', 'HTTP requests answered, by method and status class.', ['method', 'status']));
  readonly watcherStudies = this.registry.register(new Counter('covseg_watcher_studies_total', 'Studies the watcher queued, by endpoint.', ['endpoint']));
  readonly outboxEntries = this.registry.register(new Gauge('covseg_outbox_entries', 'Outbox payloads (SEG, …) by status: pending, delivered, failed (deliveries gave up).', ['status']));
  private readonly uptime = this.registry.register(new Gauge('covseg_process_uptime_seconds', 'Seconds since the server started.', []));
  private readonly heap = this.registry.register(new Gauge('covseg_process_heap_bytes', 'V8 heap in use, in bytes.', []));

  jobFinished(outcome: JobOutcome): void {
    this.jobs.inc({ outcome });
  }

  /** `seconds` is wall-clock time of one stage (e.g. `retrieve`, `inference`, `store`). */
  stageDuration(stage: string, seconds: number): void {
    this.stageSeconds.observe({ stage }, seconds);
  }

  /** `kind`: `connection`, `timeout`, `http-4xx`, `http-5xx`, `http-429` … */
  pacsError(endpoint: string, kind: string): void {
    this.pacsErrors.inc({ endpoint, kind });
  }

  render(): string {
    this.uptime.set({}, (Date.now() - this.startedAt) / 1000);
    this.heap.set({}, process.memoryUsage().heapUsed);
    return this.registry.render();
  }
}
