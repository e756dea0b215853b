import { describe, expect, it } from 'vitest';
import { MetricsService } from './metrics.service';

describe('MetricsService (prom-client)', () => {
  it('keeps the metric names and labels the README and CONTRACTS name, in the Prometheus text format', async () => {
    const metrics = new MetricsService();
    metrics.jobFinished('succeeded');
    metrics.jobFinished('succeeded');
    metrics.jobsStarted.inc();
    metrics.stageDuration('inference', 3);
    metrics.pacsError('ep-1', 'pacs-unavailable');
    metrics.httpRequests.inc({ method: 'GET', status: '4xx' });
    metrics.watcherStudies.inc({ endpoint: 'ep-1' });
    metrics.outboxEntries.set({ status: 'delivered' }, 1);
    const text = await metrics.render();
    expect(text).toContain('# TYPE covseg_jobs_total counter');
    expect(text).toContain('covseg_jobs_total{outcome="succeeded"} 2');
    expect(text).toContain('covseg_jobs_started_total 1');
    expect(text).toContain('# TYPE covseg_job_stage_duration_seconds histogram');
    expect(text).toContain('covseg_job_stage_duration_seconds_bucket{le="5",stage="inference"} 1');
    expect(text).toContain('covseg_job_stage_duration_seconds_bucket{le="2.5",stage="inference"} 0');
    expect(text).toContain('covseg_pacs_errors_total{endpoint="ep-1",kind="pacs-unavailable"} 1');
    expect(text).toContain('covseg_http_requests_total{method="GET",status="4xx"} 1');
    expect(text).toContain('covseg_watcher_studies_total{endpoint="ep-1"} 1');
    expect(text).toContain('covseg_outbox_entries{status="delivered"} 1');
    expect(text).toMatch(/^covseg_process_uptime_seconds \d/m);
    expect(text).toMatch(/^covseg_process_heap_bytes [1-9]\d*/m);
  });

  it('adds the default Node metrics, the event-loop delay percentiles among them', async () => {
    const text = await new MetricsService().render();
    for (const name of ['nodejs_eventloop_lag_p99_seconds', 'nodejs_eventloop_lag_max_seconds', 'process_cpu_seconds_total', 'nodejs_heap_size_used_bytes', 'nodejs_gc_duration_seconds']) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });

  it('counts DIMSE associations, C-STOREs received and refused, and C-ECHOs', async () => {
    const metrics = new MetricsService();
    metrics.dimse('association-accepted');
    metrics.dimse('association-rejected');
    metrics.dimse('store-received');
    metrics.dimse('store-received');
    metrics.dimse('store-refused');
    metrics.dimse('echo');
    const text = await metrics.render();
    expect(text).toContain('covseg_dimse_associations_total{outcome="accepted"} 1');
    expect(text).toContain('covseg_dimse_associations_total{outcome="rejected"} 1');
    expect(text).toContain('covseg_dimse_cstore_total{outcome="received"} 2');
    expect(text).toContain('covseg_dimse_cstore_total{outcome="refused"} 1');
    expect(text).toContain('covseg_dimse_cecho_total 1');
  });

  it('gives each instance its own registry (two servers in one process do not share counts)', async () => {
    const first = new MetricsService();
    const second = new MetricsService();
    first.jobFinished('failed');
    expect(await first.render()).toContain('covseg_jobs_total{outcome="failed"} 1');
    expect(await second.render()).not.toContain('covseg_jobs_total{outcome="failed"}');
  });

  it('escapes quotes, backslashes and newlines in label values', async () => {
    const metrics = new MetricsService();
    metrics.pacsError('e"p\\1\n', 'proxy:x');
    expect(await metrics.render()).toContain('covseg_pacs_errors_total{endpoint="e\\"p\\\\1\\n",kind="proxy:x"} 1');
  });
});
