import { Inject, Injectable } from '@nestjs/common';
import { deviceUidFromDigest } from '@covseg/dicom';
import { HealthDto, PacsReachabilityDto } from '../dtos/health.dto';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';
import { JobRepository } from '../../jobs/repositories/job.repository';
import { ModelRepository } from '../../model/repositories/model.repository';
import { PacsEndpointRepository } from '../../pacs/repositories/pacs-endpoint.repository';
import { PacsProbeService } from '../../pacs/services/pacs-probe.service';
import { PacsEndpointService } from '../../pacs/services/pacs-endpoint.service';
import { DicomListenerService } from '../../dimse/services/dicom-listener.service';

/** A health probe must answer quickly even when a PACS hangs. */
const PROBE_TIMEOUT_MS = 3_000;

@Injectable()
export class HealthService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly models: ModelRepository,
    private readonly endpoints: PacsEndpointRepository,
    private readonly endpointService: PacsEndpointService,
    private readonly probes: PacsProbeService,
    private readonly jobs: JobRepository,
    private readonly dicomListener: DicomListenerService,
  ) {}

  /** QIDO reachability of every PACS endpoint (in parallel), the loaded model and the job queue; `degraded` if a PACS or the model is missing. */
  async getHealth(): Promise<HealthDto> {
    const pacsEndpoints = await Promise.all(
      // A disabled endpoint is retired on purpose: probing it would only report it down forever.
      this.endpoints.list().filter((record) => record.disabledAt === null).map(async (record): Promise<PacsReachabilityDto> => {
        if (record.baseUrl === null) {
          // A DIMSE-only PACS: C-ECHO instead of QIDO.
          const echo = await this.endpointService.echo(record, Math.min(record.timeoutMs, PROBE_TIMEOUT_MS));
          return { id: record.id, name: record.name, baseUrl: null, reachable: echo.ok, latencyMs: echo.latencyMs, ...(echo.error ? { error: echo.error } : {}) };
        }
        const probe = await this.probes.probeQido(record, PROBE_TIMEOUT_MS);
        return { id: record.id, name: record.name, baseUrl: record.baseUrl, reachable: probe.ok, latencyMs: probe.latencyMs, ...(probe.error ? { error: probe.error } : {}) };
      }),
    );
    const model = this.models.getModel();
    const dicom = this.dicomListener.getStatus();
    return {
      status: model && pacsEndpoints.every((p) => p.reachable) && (dicom?.listening ?? true) ? 'ok' : 'degraded',
      ...(dicom ? { dicom } : {}),
      pacsEndpoints,
      jobs: this.jobs.countActive(),
      model: model
        ? { name: model.name, version: model.version, trained: model.trained, provider: this.config.executionProvider, path: this.config.modelPath, deviceUID: deviceUidFromDigest(model.sha256) }
        : null,
    };
  }
}
