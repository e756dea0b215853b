import { describe, expect, it } from 'vitest';
import { Counter, escapeLabelValue, Histogram, MetricsRegistry } from './metrics-registry';

describe('MetricsRegistry', () => {
  it('renders counters in the Prometheus text format with their HELP and TYPE lines', () => {
    const registry = new MetricsRegistry();
    const jobs = registry.register(new Counter('covseg_jobs_total', 'Jobs.', ['outcome']));
    jobs.inc({ outcome: 'succeeded' });
    jobs.inc({ outcome: 'succeeded' });
    jobs.inc({ outcome: 'failed' });
    expect(registry.render()).toBe(
      '# HELP covseg_jobs_total Jobs.\n# TYPE covseg_jobs_total counter\ncovseg_jobs_total{outcome="succeeded"} 2\ncovseg_jobs_total{outcome="failed"} 1\n',
    );
  });

  it('renders cumulative histogram buckets, sum and count', () => {
    const h = new Histogram('stage_seconds', 'Stage.', ['stage'], [1, 5]);
    h.observe({ stage: 'inference' }, 0.5);
    h.observe({ stage: 'inference' }, 3);
    h.observe({ stage: 'inference' }, 10);
    expect(h.render()).toEqual([
      '# HELP stage_seconds Stage.',
      '# TYPE stage_seconds histogram',
      'stage_seconds_bucket{stage="inference",le="1"} 1',
      'stage_seconds_bucket{stage="inference",le="5"} 2',
      'stage_seconds_bucket{stage="inference",le="+Inf"} 3',
      'stage_seconds_sum{stage="inference"} 13.5',
      'stage_seconds_count{stage="inference"} 3',
    ]);
  });

  it('escapes backslashes, quotes and newlines in label values', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });

  it('refuses undeclared labels, shrinking counters and duplicate names', () => {
    const registry = new MetricsRegistry();
    const c = registry.register(new Counter('x_total', 'X.', ['a']));
    expect(() => c.inc({ b: '1' })).toThrow(/Unknown label b/);
    expect(() => c.inc({ a: '1' }, -1)).toThrow(/only grow/);
    expect(() => registry.register(new Counter('x_total', 'X.', []))).toThrow(/already registered/);
  });
});
