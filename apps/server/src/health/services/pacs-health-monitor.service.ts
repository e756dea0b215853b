import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';
import { PacsEndpointRecord, PacsEndpointRepository } from '../../pacs/repositories/pacs-endpoint.repository';
import { PacsEndpointService } from '../../pacs/services/pacs-endpoint.service';
import { PacsProbeService } from '../../pacs/services/pacs-probe.service';

/** One probe of one PACS endpoint, as last seen. */
export interface PacsProbeState {
  reachable: boolean;
  latencyMs: number;
  error?: string;
  /** Epoch ms when the probe finished. */
  checkedAt: number;
}

/** A probe must end quickly even when a PACS hangs or drips its answer byte by byte. */
export const PROBE_TIMEOUT_MS = 3_000;
/** Probes in flight at once: a hundred endpoints must not open a hundred sockets at one tick. */
export const PROBE_CONCURRENCY = 4;
/** Least time between two rounds started early because an endpoint has never been probed. */
const MIN_EARLY_ROUND_GAP_MS = 1_000;

/**
 * Probes every enabled PACS endpoint in the background (QIDO-RS through the gateway, or C-ECHO for a
 * DIMSE-only one) every HEALTH_PROBE_INTERVAL_MS, a few at a time, each bounded by PROBE_TIMEOUT_MS,
 * and keeps the last result of each. `/api/health` answers from this cache and never waits for a PACS:
 * an anonymous caller must not be able to make the server contact every PACS (a stalling PACS made
 * health answer 500, and one pointing at our own proxy turned one call into ~1,700 requests; the
 * gateway's Via mark now ends such a loop at its first hop). One round at a time: a round still running
 * when the next is due is not doubled.
 */
@Injectable()
export class PacsHealthMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('PacsHealthMonitor');
  private readonly states = new Map<string, PacsProbeState>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  private lastRoundStartedAt = 0;
  /** Epoch ms when the last complete round ended; undefined before the first. */
  private lastRoundEndedAt: number | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly endpoints: PacsEndpointRepository,
    private readonly endpointService: PacsEndpointService,
    private readonly probes: PacsProbeService,
  ) {}

  onApplicationBootstrap(): void {
    void this.runRound();
    this.timer = setInterval(() => void this.runRound(), this.config.healthProbeIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.stopping.abort();
    await this.running;
  }

  /** The last probe of an endpoint, or undefined when it was never probed (added since the last round). */
  getState(endpointId: string): PacsProbeState | undefined {
    return this.states.get(endpointId);
  }

  /** When the last complete round ended (epoch ms), or undefined before the first. */
  getLastRoundEndedAt(): number | undefined {
    return this.lastRoundEndedAt;
  }

  /**
   * Starts a round soon when an endpoint was never probed (added or re-enabled since the last round), so
   * that it does not wait a whole interval. Never awaited by a request; at most one early round a second.
   */
  requestProbeOf(endpoints: PacsEndpointRecord[]): void {
    if (this.running || this.stopping.signal.aborted || Date.now() - this.lastRoundStartedAt < MIN_EARLY_ROUND_GAP_MS) return;
    if (endpoints.some((record) => !this.states.has(record.id))) void this.runRound();
  }

  /** One round over every enabled endpoint; resolves when it is over (the running one if one runs). */
  runRound(): Promise<void> {
    if (this.stopping.signal.aborted) return Promise.resolve();
    this.running ??= this.round().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async round(): Promise<void> {
    this.lastRoundStartedAt = Date.now();
    try {
      // A disabled endpoint is retired on purpose: probing it would only report it down forever.
      const records = (await this.endpoints.list()).filter((record) => record.disabledAt === null);
      const ids = new Set(records.map((record) => record.id));
      for (const id of this.states.keys()) if (!ids.has(id)) this.states.delete(id);
      const queue = [...records];
      const worker = async () => {
        for (let record = queue.shift(); record && !this.stopping.signal.aborted; record = queue.shift()) {
          this.states.set(record.id, await this.probe(record));
        }
      };
      await Promise.all(Array.from({ length: Math.min(PROBE_CONCURRENCY, queue.length) }, worker));
      this.lastRoundEndedAt = Date.now();
    } catch (error) {
      // Our bug (the repository failed): logged, and the next round tries again; the cache keeps its last answers.
      this.logger.error(`A PACS health round failed: ${error instanceof Error ? error.message : String(error)}`, error instanceof Error ? error.stack : undefined);
    }
  }

  /** Never throws: a failing PACS is a result. Bounded by PROBE_TIMEOUT_MS whatever the PACS does. */
  private async probe(record: PacsEndpointRecord): Promise<PacsProbeState> {
    const timeoutMs = Math.min(record.timeoutMs, PROBE_TIMEOUT_MS);
    const deadline = AbortSignal.any([AbortSignal.timeout(timeoutMs), this.stopping.signal]);
    const started = performance.now();
    const result = await Promise.race([
      record.baseUrl === null ? this.endpointService.echo(record, timeoutMs) : this.probes.probeQido(record, timeoutMs, deadline),
      // The DIMSE SCU takes a timeout but no signal: this bounds it (and anything else) all the same.
      new Promise<{ ok: false; latencyMs: number; error: string }>((resolve) =>
        deadline.addEventListener('abort', () => resolve({ ok: false, latencyMs: Math.round(performance.now() - started), error: `no answer within ${timeoutMs} ms` }), { once: true }),
      ),
    ]);
    return { reachable: result.ok, latencyMs: result.latencyMs, ...(result.error ? { error: result.error } : {}), checkedAt: Date.now() };
  }
}
