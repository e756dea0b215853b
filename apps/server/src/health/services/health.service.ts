import { Inject, Injectable, Logger } from '@nestjs/common';
import { DatabaseUnavailableError } from '../../core/database/database.errors';
import { SqlDatabase } from '../../core/database/sql-database';
import { deviceUidFromDigest } from '@covseg/dicom';
import { HealthDto, PacsReachabilityDto, PublicHealthDto } from '../dtos/health.dto';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';
import { hasRole, Principal } from '../../core/principal';
import { JobRepository } from '../../jobs/repositories/job.repository';
import { ModelRepository } from '../../model/repositories/model.repository';
import { PacsEndpointRecord, PacsEndpointRepository } from '../../pacs/repositories/pacs-endpoint.repository';
import { DicomListenerService } from '../../dimse/services/dicom-listener.service';
import { PacsHealthMonitor } from './pacs-health-monitor.service';

const iso = (epochMs: number | undefined): string | null => (epochMs === undefined ? null : new Date(epochMs).toISOString());

/** What the health route answers, and whether the process can serve at all (false: 503). */
export interface HealthReport {
  body: PublicHealthDto | HealthDto;
  /** False while the database does not answer: nothing but health can be served (HTTP 503). */
  serving: boolean;
}

function isDatabaseUnavailable(error: unknown): error is Error {
  for (let e = error; e instanceof Error; e = e.cause) if (e instanceof DatabaseUnavailableError) return true;
  return false;
}

@Injectable()
export class HealthService {
  private readonly logger = new Logger(HealthService.name);
  /** The enabled endpoints as last read, so an admin still sees their probes while the database is away. */
  private lastRecords: PacsEndpointRecord[] = [];

  constructor(
    @Inject(SqlDatabase) private readonly database: SqlDatabase,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly models: ModelRepository,
    private readonly endpoints: PacsEndpointRepository,
    private readonly monitor: PacsHealthMonitor,
    private readonly jobs: JobRepository,
    private readonly dicomListener: DicomListenerService,
  ) {}

  /**
   * `degraded` when the database does not answer (then also `serving: false`: HTTP 503), the model is
   * missing, the DICOM listener is down, or the last background probe of an
   * enabled PACS failed (one never probed yet does not count either way). Never contacts a PACS: the
   * reachability is the monitor's cached state, with its age. Anyone gets the status; an admin also gets
   * the detail (endpoint names and URLs, the model path and the queue belong to the operator, not the world).
   */
  async getHealth(principal: Principal | undefined): Promise<HealthReport> {
    let databaseError: string | undefined;
    let jobs: { queued: number; running: number } | null = null;
    try {
      // A disabled endpoint is retired on purpose and not probed.
      this.lastRecords = (await this.endpoints.list()).filter((record) => record.disabledAt === null);
      jobs = await this.jobs.countActive();
    } catch (error) {
      // The database is down or restarting: say so (degraded, 503) instead of failing the health check
      // with the database's own error. Anything else is our bug and goes to the error filter (500).
      if (!isDatabaseUnavailable(error)) throw error;
      databaseError = error.message;
      this.logger.warn(`Health: ${databaseError}`);
    }
    const records = this.lastRecords;
    this.monitor.requestProbeOf(records);
    const now = Date.now();
    const pacsEndpoints = records.map((record): PacsReachabilityDto => {
      const state = this.monitor.getState(record.id);
      return {
        id: record.id,
        name: record.name,
        baseUrl: record.baseUrl,
        reachable: state?.reachable ?? null,
        ...(state ? { latencyMs: state.latencyMs } : {}),
        ...(state?.error ? { error: state.error } : {}),
        checkedAt: iso(state?.checkedAt),
        ageMs: state ? now - state.checkedAt : null,
      };
    });
    const model = this.models.getModel();
    const dicom = this.dicomListener.getStatus();
    const status =
      databaseError === undefined && (model || !this.models.loadsModel) && pacsEndpoints.every((p) => p.reachable !== false) && (dicom?.listening ?? true) ? 'ok' : 'degraded';
    const serving = databaseError === undefined;
    // Anonymous callers (and, while the database is away, token holders, whose token cannot be checked):
    // the status alone.
    if (!principal || !hasRole(principal, 'admin')) return { body: { status }, serving };
    const body: HealthDto = {
      status,
      database: { dialect: this.database.dialect, reachable: serving, ...(databaseError ? { error: databaseError } : {}) },
      ...(dicom ? { dicom } : {}),
      pacsCheckedAt: iso(this.monitor.getLastRoundEndedAt()),
      pacsEndpoints,
      jobs,
      model: model
        ? { name: model.name, version: model.version, trained: model.trained, provider: this.config.executionProvider, path: this.config.modelPath, deviceUID: deviceUidFromDigest(model.sha256) }
        : null,
    };
    return { body, serving };
  }
}
