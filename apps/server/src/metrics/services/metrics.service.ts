import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Outcome of a segmentation job as counted by `covseg_jobs_total`. */
export type JobOutcome = 'succeeded' | 'failed' | 'cancelled';

/** What the C-STORE SCP counts (see {@link MetricsService.dimse}). */
export type DimseCount = 'association-accepted' | 'association-rejected' | 'store-received' | 'store-refused' | 'echo';

/**
 * The server's metrics, on one prom-client Registry per instance (never prom-client's global one: two
 * apps in one process, as tests run them, would share counters). The job runner, the PACS paths, the
 * DICOM listener and the HTTP layer report into this singleton; `/metrics` renders it. Label values
 * are bounded sets (stage names, endpoint ids, outcomes), never UIDs, which would make one series per
 * study. Also carries prom-client's default Node metrics (process_*, nodejs_*), among them
 * `nodejs_eventloop_lag_{p50,p90,p99,max}_seconds`, measured between two scrapes (each scrape starts a
 * new window): the figure that tells a blocked event loop apart from a busy CPU.
 * Only this folder imports prom-client (eslint.config.mjs).
 */
@Injectable()
export class MetricsService {
  private readonly registry = new Registry();
  private readonly startedAt = Date.now();

  readonly jobs = new Counter({ name: 'covseg_jobs_total', help: 'Segmentation jobs finished, by outcome.', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly jobsStarted = new Counter({ name: 'covseg_jobs_started_total', help: 'Segmentation job attempts started.', registers: [this.registry] });
  readonly stageSeconds = new Histogram({
    name: 'covseg_job_stage_duration_seconds',
    help: 'Duration of one pipeline stage of a job, in seconds.',
    labelNames: ['stage'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly pacsErrors = new Counter({ name: 'covseg_pacs_errors_total', help: 'Failed requests to a PACS, by endpoint and kind.', labelNames: ['endpoint', 'kind'] as const, registers: [this.registry] });
  readonly proxyAnswers = new Counter({
    name: 'covseg_proxy_answers_total',
    help: 'DICOMweb proxy answers, by source: upstream (a PACS request of its own), coalesced (shared an identical request in flight), cache (an instance kept in memory), recent (an identical QIDO or metadata answer of the last PROXY_RECENT_ANSWER_MS), stream (too large to hold, streamed through).',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly proxyUpstreamCuts = new Counter({
    name: 'covseg_proxy_upstream_cuts_total',
    help: 'PACS answers cut mid-body under the DICOMweb proxy, by outcome: retried (asked once more before the browser saw a byte), failed (cut twice: 502), streaming (cut after bytes had gone to the browser).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly proxySharedWaiters = new Gauge({
    name: 'covseg_proxy_shared_waiters',
    help: 'DICOMweb proxy requests waiting now for an identical request already sent to the PACS, instead of sending their own.',
    registers: [this.registry],
  });
  readonly httpRequests = new Counter({ name: 'covseg_http_requests_total', help: 'HTTP requests answered, by method and status class.', labelNames: ['method', 'status'] as const, registers: [this.registry] });
  readonly watcherStudies = new Counter({ name: 'covseg_watcher_studies_total', help: 'Studies the watcher queued, by endpoint.', labelNames: ['endpoint'] as const, registers: [this.registry] });
  readonly watcherPolls = new Counter({ name: 'covseg_watcher_polls_total', help: 'QIDO polls the study watcher of this process ran, by endpoint.', labelNames: ['endpoint'] as const, registers: [this.registry] });
  readonly watcherLeader = new Gauge({ name: 'covseg_watcher_leader', help: '1 while this process leads the study watcher (one process of a deployment polls), else 0.', registers: [this.registry] });
  readonly outboxEntries = new Gauge({ name: 'covseg_outbox_entries', help: 'Outbox payloads (SEG, …) by status: pending, delivered, failed (deliveries gave up).', labelNames: ['status'] as const, registers: [this.registry] });
  private readonly dimseAssociations = new Counter({ name: 'covseg_dimse_associations_total', help: 'DICOM associations to our C-STORE SCP, by outcome (accepted, rejected).', labelNames: ['outcome'] as const, registers: [this.registry] });
  private readonly dimseStores = new Counter({ name: 'covseg_dimse_cstore_total', help: 'C-STORE requests to our SCP, by outcome (received: stored durably; refused: answered with a failure status).', labelNames: ['outcome'] as const, registers: [this.registry] });
  private readonly dimseEchoes = new Counter({ name: 'covseg_dimse_cecho_total', help: 'C-ECHO requests our SCP answered.', registers: [this.registry] });

  constructor() {
    const startedAt = this.startedAt;
    new Gauge({
      name: 'covseg_process_uptime_seconds',
      help: 'Seconds since the server started.',
      registers: [this.registry],
      collect() {
        this.set((Date.now() - startedAt) / 1000);
      },
    });
    new Gauge({
      name: 'covseg_process_heap_bytes',
      help: 'V8 heap in use, in bytes.',
      registers: [this.registry],
      collect() {
        this.set(process.memoryUsage().heapUsed);
      },
    });
    // Event-loop delay sampled every 10 ms (monitorEventLoopDelay), plus GC, heap spaces, handles, CPU.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
  }

  jobFinished(outcome: JobOutcome): void {
    this.jobs.inc({ outcome });
  }

  /** `seconds` is wall-clock time of one stage (e.g. `retrieve`, `inference`, `store`). */
  stageDuration(stage: string, seconds: number): void {
    this.stageSeconds.observe({ stage }, seconds);
  }

  /** Where a proxied answer came from (see covseg_proxy_answers_total). */
  proxyAnswer(source: 'upstream' | 'cache' | 'recent' | 'coalesced' | 'stream'): void {
    this.proxyAnswers.inc({ source });
  }

  proxyUpstreamCut(outcome: 'retried' | 'failed' | 'streaming'): void {
    this.proxyUpstreamCuts.inc({ outcome });
  }

  /** `kind`: `connection`, `timeout`, `http-4xx`, `http-5xx`, `http-429` … */
  pacsError(endpoint: string, kind: string): void {
    this.pacsErrors.inc({ endpoint, kind });
  }

  /** One DIMSE event of our C-STORE SCP. */
  dimse(count: DimseCount): void {
    switch (count) {
      case 'association-accepted':
        return this.dimseAssociations.inc({ outcome: 'accepted' });
      case 'association-rejected':
        return this.dimseAssociations.inc({ outcome: 'rejected' });
      case 'store-received':
        return this.dimseStores.inc({ outcome: 'received' });
      case 'store-refused':
        return this.dimseStores.inc({ outcome: 'refused' });
      case 'echo':
        return this.dimseEchoes.inc();
    }
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
