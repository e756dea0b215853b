import { Inject, Injectable } from '@nestjs/common';
import { deviceUidFromDigest } from '@covseg/dicom';
import { HealthDto, PacsReachabilityDto, PublicHealthDto } from '../dtos/health.dto';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';
import { hasRole, Principal } from '../../core/principal';
import { JobRepository } from '../../jobs/repositories/job.repository';
import { ModelRepository } from '../../model/repositories/model.repository';
import { PacsEndpointRepository } from '../../pacs/repositories/pacs-endpoint.repository';
import { DicomListenerService } from '../../dimse/services/dicom-listener.service';
import { PacsHealthMonitor } from './pacs-health-monitor.service';

const iso = (epochMs: number | undefined): string | null => (epochMs === undefined ? null : new Date(epochMs).toISOString());

@Injectable()
export class HealthService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly models: ModelRepository,
    private readonly endpoints: PacsEndpointRepository,
    private readonly monitor: PacsHealthMonitor,
    private readonly jobs: JobRepository,
    private readonly dicomListener: DicomListenerService,
  ) {}

  /**
   * `degraded` when the model is missing, the DICOM listener is down, or the last background probe of an
   * enabled PACS failed (one never probed yet does not count either way). Never contacts a PACS: the
   * reachability is the monitor's cached state, with its age. Anyone gets the status; an admin also gets
   * the detail (endpoint names and URLs, the model path and the queue belong to the operator, not the world).
   */
  async getHealth(principal: Principal | undefined): Promise<PublicHealthDto | HealthDto> {
    // A disabled endpoint is retired on purpose and not probed.
    const records = (await this.endpoints.list()).filter((record) => record.disabledAt === null);
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
    const status = (model || !this.models.loadsModel) && pacsEndpoints.every((p) => p.reachable !== false) && (dicom?.listening ?? true) ? 'ok' : 'degraded';
    if (!principal || !hasRole(principal, 'admin')) return { status };
    return {
      status,
      ...(dicom ? { dicom } : {}),
      pacsCheckedAt: iso(this.monitor.getLastRoundEndedAt()),
      pacsEndpoints,
      jobs: await this.jobs.countActive(),
      model: model
        ? { name: model.name, version: model.version, trained: model.trained, provider: this.config.executionProvider, path: this.config.modelPath, deviceUID: deviceUidFromDigest(model.sha256) }
        : null,
    };
  }
}
