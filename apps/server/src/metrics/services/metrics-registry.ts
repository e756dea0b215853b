/**
 * A minimal Prometheus registry (text exposition format 0.0.4). Written here rather than pulling
 * prom-client: we need three metric types and no push gateway, cluster aggregation or GC collectors.
 */
export type Labels = Record<string, string>;

/** Escapes a label value per the exposition format: backslash, double quote and newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelKey(names: readonly string[], labels: Labels): string {
  for (const key of Object.keys(labels)) {
    if (!names.includes(key)) throw new RangeError(`Unknown label ${key}; declared labels: ${names.join(', ')}`);
  }
  return names.map((n) => `${n}="${escapeLabelValue(labels[n] ?? '')}"`).join(',');
}

const braces = (s: string): string => (s ? `{${s}}` : '');

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new RangeError(`Invalid metric name ${name}`);
  }
  abstract render(): string[];
}

export class Counter extends Metric {
  private readonly values = new Map<string, number>();

  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new RangeError(`Counter ${this.name} can only grow, got ${by}`);
    const key = labelKey(this.labelNames, labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelKey(this.labelNames, labels)) ?? 0;
  }

  render(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`, ...[...this.values].map(([k, v]) => `${this.name}${braces(k)} ${v}`)];
  }
}

export class Gauge extends Metric {
  private readonly values = new Map<string, number>();

  set(labels: Labels, value: number): void {
    this.values.set(labelKey(this.labelNames, labels), value);
  }

  render(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`, ...[...this.values].map(([k, v]) => `${this.name}${braces(k)} ${v}`)];
  }
}

/** Cumulative-bucket histogram; `buckets` are upper bounds in the metric's unit (seconds here). */
export class Histogram extends Metric {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();

  constructor(name: string, help: string, labelNames: readonly string[], readonly buckets: readonly number[]) {
    super(name, help, labelNames);
    if (buckets.some((b, i) => i > 0 && b <= buckets[i - 1])) throw new RangeError(`Buckets of ${name} must increase`);
  }

  observe(labels: Labels, value: number): void {
    if (!Number.isFinite(value)) throw new RangeError(`Histogram ${this.name} got a non-finite value`);
    const key = labelKey(this.labelNames, labels);
    const s = this.series.get(key) ?? { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
    this.buckets.forEach((bound, i) => {
      if (value <= bound) s.counts[i] += 1;
    });
    s.sum += value;
    s.count += 1;
    this.series.set(key, s);
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [key, s] of this.series) {
      const sep = key ? ',' : '';
      this.buckets.forEach((bound, i) => lines.push(`${this.name}_bucket{${key}${sep}le="${bound}"} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket{${key}${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum${braces(key)} ${s.sum}`);
      lines.push(`${this.name}_count${braces(key)} ${s.count}`);
    }
    return lines;
  }
}

export class MetricsRegistry {
  private readonly metrics: Metric[] = [];

  register<M extends Metric>(metric: M): M {
    if (this.metrics.some((m) => m.name === metric.name)) throw new RangeError(`Metric ${metric.name} is already registered`);
    this.metrics.push(metric);
    return metric;
  }

  render(): string {
    return this.metrics.map((m) => m.render().join('\n')).join('\n') + '\n';
  }
}
