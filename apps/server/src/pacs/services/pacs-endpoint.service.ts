import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException, Optional } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../core/repositories/config.repository';
import { RecentCache } from '../../core/services/recent-cache';
import { PacsEndpointDisabledError } from './pacs-endpoint.errors';
import {
  CreatePacsEndpointDto,
  PacsEndpointResponseDto,
  PacsEndpointTestResultDto,
  UpdatePacsEndpointDto,
} from '../dtos/pacs-endpoint.dto';
import { DimseScuRepository } from '../repositories/dimse-scu.repository';
import { PacsEndpointFields, PacsEndpointRecord, PacsEndpointRepository } from '../repositories/pacs-endpoint.repository';
import { PacsProbeService, ProbeResult } from './pacs-probe.service';
import { SecretCipher } from '../../core/services/secret-cipher';
import type { SqlExecutor } from '../../core/database/sql-database';
import { requireValidPacsBaseUrl } from './pacs-url.policy';

const DEFAULT_TIMEOUT_MS = 30_000;

/** PACS endpoint rules: unique names, credentials that match the auth type, secrets sealed and write-only. */
@Injectable()
export class PacsEndpointService {
  /** Records read for the viewer's proxy, trusted for PACS_ENDPOINT_CACHE_MS (see getRecentRecordOrFail). */
  private readonly recent: RecentCache<PacsEndpointRecord>;

  constructor(
    private readonly repository: PacsEndpointRepository,
    private readonly probes: PacsProbeService,
    private readonly cipher: SecretCipher,
    private readonly dimse: DimseScuRepository,
    @Optional() @Inject(APP_CONFIG) config?: Pick<AppConfig, 'endpointCacheMs'>,
  ) {
    this.recent = new RecentCache<PacsEndpointRecord>(config?.endpointCacheMs ?? 0, 1_000);
  }

  async list(): Promise<PacsEndpointResponseDto[]> {
    return (await this.repository.list()).map(toResponse);
  }

  async get(id: string): Promise<PacsEndpointResponseDto> {
    return toResponse(await this.getRecordOrFail(id));
  }

  /** @param tx the transaction to read in, when the caller holds one. */
  async getRecordOrFail(id: string, tx?: SqlExecutor): Promise<PacsEndpointRecord> {
    const record = await this.repository.get(id, tx);
    if (!record) throw new NotFoundException(`PACS endpoint ${id} does not exist`);
    return record;
  }

  /**
   * Like {@link getRecordOrFail}, but a record read less than PACS_ENDPOINT_CACHE_MS ago may answer: for
   * the viewer's proxy, where every frame request needs it. An edit or deletion through this service
   * is seen at once; one made by another process of a scaled deployment within that bound. Jobs, probes
   * and edits read the database (getRecordOrFail).
   */
  async getRecentRecordOrFail(id: string): Promise<PacsEndpointRecord> {
    const record = await this.recent.getOrLoad(id, () => this.repository.get(id));
    if (!record) throw new NotFoundException(`PACS endpoint ${id} does not exist`);
    return record;
  }

  /** Like {@link getRecordOrFail}, and refuses a disabled endpoint (409): no new work goes to a retired PACS. */
  async requireEnabledRecord(id: string, tx?: SqlExecutor): Promise<PacsEndpointRecord> {
    const record = await this.getRecordOrFail(id, tx);
    if (record.disabledAt !== null) throw new PacsEndpointDisabledError(`PACS endpoint ${id} is disabled (since ${record.disabledAt}); enable it with PATCH {"enabled": true}`);
    return record;
  }

  async create(dto: CreatePacsEndpointDto): Promise<PacsEndpointResponseDto> {
    await this.requireUniqueName(dto.name);
    const fields: PacsEndpointFields = {
      name: dto.name,
      baseUrl: dto.baseUrl === undefined || dto.baseUrl === null ? null : requireValidPacsBaseUrl(dto.baseUrl),
      authType: dto.authType ?? 'none',
      username: dto.username ?? null,
      sealedSecret: dto.secret === undefined ? null : this.cipher.seal(dto.secret),
      timeoutMs: dto.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      keyImages: dto.keyImages ?? false,
      disabledAt: null,
      dicomAeTitle: dto.dicomAeTitle?.trim() ?? null,
      dicomHost: dto.dicomHost ?? null,
      dicomPort: dto.dicomPort ?? null,
      resultTransport: dto.resultTransport ?? 'stow',
    };
    requireCredentials(fields);
    await this.requireDimseRules(fields);
    return toResponse(await this.repository.create(fields));
  }

  async update(id: string, dto: UpdatePacsEndpointDto): Promise<PacsEndpointResponseDto> {
    const current = await this.getRecordOrFail(id);
    if (dto.name !== undefined && dto.name !== current.name) await this.requireUniqueName(dto.name);
    const authType = dto.authType ?? current.authType;
    // A stored password is not a token, nor a token a password: switching between the two needs the new secret,
    // or the old one would be sent in the other scheme.
    if (authType !== current.authType && authType !== 'none' && current.authType !== 'none' && dto.secret === undefined) {
      throw new BadRequestException(`authType ${current.authType} -> ${authType} needs the new secret (the stored ${SECRET_NAMES[current.authType]} is not a ${SECRET_NAMES[authType]})`);
    }
    const fields: PacsEndpointFields = {
      name: dto.name ?? current.name,
      // undefined keeps it, null clears it (the endpoint becomes DIMSE-only; requireDimseRules checks it still has a way in).
      baseUrl: dto.baseUrl === undefined ? current.baseUrl : dto.baseUrl === null ? null : requireValidPacsBaseUrl(dto.baseUrl),
      authType,
      username: authType === 'basic' ? (dto.username ?? current.username) : null,
      // Switching to `none` forgets the secret, so a stale credential is never sent anywhere later.
      sealedSecret: authType === 'none' ? null : dto.secret !== undefined ? this.cipher.seal(dto.secret) : current.sealedSecret,
      timeoutMs: dto.timeoutMs ?? current.timeoutMs,
      keyImages: dto.keyImages ?? current.keyImages,
      disabledAt: dto.enabled === undefined ? current.disabledAt : dto.enabled ? null : (current.disabledAt ?? new Date().toISOString()),
      // undefined keeps the current value, null clears it.
      dicomAeTitle: dto.dicomAeTitle === undefined ? current.dicomAeTitle : (dto.dicomAeTitle?.trim() ?? null),
      dicomHost: dto.dicomHost === undefined ? current.dicomHost : dto.dicomHost,
      dicomPort: dto.dicomPort === undefined ? current.dicomPort : dto.dicomPort,
      resultTransport: dto.resultTransport ?? current.resultTransport,
    };
    requireCredentials(fields);
    await this.requireDimseRules(fields, id);
    // Forgotten before and after the write: once this returns, no proxied request here uses the old record.
    this.recent.delete(id);
    const updated = await this.repository.update(id, fields);
    this.recent.delete(id);
    return toResponse(updated);
  }

  async delete(id: string): Promise<void> {
    await this.getRecordOrFail(id);
    if (await this.repository.hasJobs(id)) throw new ConflictException(`PACS endpoint ${id} has segmentation jobs and cannot be deleted; disable it instead (PATCH {"enabled": false}) to keep the job history`);
    this.recent.delete(id);
    await this.repository.delete(id);
    this.recent.delete(id);
  }

  /**
   * Probes QIDO-RS, WADO-RS and STOW-RS of the endpoint (when it has a DICOMweb root) and C-ECHO (when
   * it has a DICOM AE title, host and port); never throws for an unreachable PACS.
   */
  async test(id: string): Promise<PacsEndpointTestResultDto> {
    const record = await this.getRecordOrFail(id);
    const echo = this.dimse.isConfigured(record) ? await this.echo(record) : undefined;
    if (record.baseUrl === null) {
      const none: ProbeResult = { ok: false, skipped: true, latencyMs: 0, error: 'not probed: the endpoint has no DICOMweb base URL' };
      return { qido: none, wado: none, stow: none, ...(echo ? { echo } : {}) };
    }
    const qido = await this.probes.probeQido(record);
    const wado = await this.probes.probeWado(record, qido.studyInstanceUID);
    const stow = await this.probes.probeStow(record);
    const { studyInstanceUID: _uid, ...qidoResult } = qido;
    return { qido: qidoResult, wado, stow, ...(echo ? { echo } : {}) };
  }

  /** C-ECHO of the endpoint's DICOM AE; never throws for an unreachable PACS. */
  async echo(record: PacsEndpointRecord, timeoutMs?: number): Promise<ProbeResult> {
    const started = performance.now();
    try {
      const latencyMs = await this.dimse.echo(record, timeoutMs);
      return { ok: true, latencyMs };
    } catch (error) {
      return { ok: false, latencyMs: Math.round(performance.now() - started), error: error instanceof Error ? error.message : String(error) };
    }
  }

  /** A PACS needs some way in (DICOMweb or DIMSE); C-STORE of results needs the AE, host and port; AE titles are unique. */
  private async requireDimseRules(fields: PacsEndpointFields, id?: string): Promise<void> {
    const dimseFields = [fields.dicomAeTitle, fields.dicomHost, fields.dicomPort];
    if (fields.baseUrl === null && fields.dicomAeTitle === null) throw new BadRequestException('A PACS endpoint needs a baseUrl (DICOMweb), a dicomAeTitle (DIMSE), or both');
    if (fields.resultTransport === 'c-store' && dimseFields.some((value) => value === null)) {
      throw new BadRequestException('resultTransport c-store needs dicomAeTitle, dicomHost and dicomPort');
    }
    if (fields.resultTransport === 'stow' && fields.baseUrl === null) throw new BadRequestException('resultTransport stow needs a baseUrl; use c-store for a DIMSE-only PACS');
    if (fields.dicomAeTitle !== null) {
      const owner = await this.repository.getByDicomAeTitle(fields.dicomAeTitle);
      if (owner && owner.id !== id) throw new ConflictException(`PACS endpoint ${owner.id} already uses DICOM AE title ${JSON.stringify(fields.dicomAeTitle)}`);
    }
  }

  private async requireUniqueName(name: string): Promise<void> {
    if (await this.repository.getByName(name)) throw new ConflictException(`A PACS endpoint named ${JSON.stringify(name)} already exists`);
  }
}

const SECRET_NAMES = { basic: 'password', bearer: 'token' } as const;

function requireCredentials(fields: PacsEndpointFields): void {
  if (fields.authType === 'basic' && (!fields.username || fields.sealedSecret === null)) {
    throw new BadRequestException('authType basic needs a username and a secret (the password)');
  }
  if (fields.authType === 'bearer' && fields.sealedSecret === null) throw new BadRequestException('authType bearer needs a secret (the token)');
  if (fields.authType === 'none' && fields.sealedSecret !== null) throw new BadRequestException('authType none takes no secret');
}

function toResponse(record: PacsEndpointRecord): PacsEndpointResponseDto {
  return {
    id: record.id,
    name: record.name,
    baseUrl: record.baseUrl,
    authType: record.authType,
    ...(record.username ? { username: record.username } : {}),
    hasSecret: record.sealedSecret !== null,
    timeoutMs: record.timeoutMs,
    keyImages: record.keyImages,
    enabled: record.disabledAt === null,
    ...(record.disabledAt ? { disabledAt: record.disabledAt } : {}),
    ...(record.dicomAeTitle !== null ? { dicomAeTitle: record.dicomAeTitle } : {}),
    ...(record.dicomHost !== null ? { dicomHost: record.dicomHost } : {}),
    ...(record.dicomPort !== null ? { dicomPort: record.dicomPort } : {}),
    resultTransport: record.resultTransport,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}
