import { DicomwebAuth } from '@covseg/dicom';
import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { PacsEndpointDisabledError } from './pacs-endpoint.errors';
import {
  CreatePacsEndpointDto,
  PacsEndpointResponseDto,
  PacsEndpointTestResultDto,
  UpdatePacsEndpointDto,
} from '../dtos/pacs-endpoint.dto';
import { PacsEndpointFields, PacsEndpointRecord, PacsEndpointRepository } from '../repositories/pacs-endpoint.repository';
import { PacsProbeRepository, PacsTarget } from '../repositories/pacs-probe.repository';
import { SecretCipher } from './secret-cipher';
import { requireValidPacsBaseUrl } from '../trust/services/pacs-url.policy';

const DEFAULT_TIMEOUT_MS = 30_000;

/** PACS endpoint rules: unique names, credentials that match the auth type, secrets sealed and write-only. */
@Injectable()
export class PacsEndpointService {
  constructor(
    private readonly repository: PacsEndpointRepository,
    private readonly probes: PacsProbeRepository,
    private readonly cipher: SecretCipher,
  ) {}

  list(): PacsEndpointResponseDto[] {
    return this.repository.list().map(toResponse);
  }

  get(id: string): PacsEndpointResponseDto {
    return toResponse(this.getRecordOrFail(id));
  }

  getRecordOrFail(id: string): PacsEndpointRecord {
    const record = this.repository.get(id);
    if (!record) throw new NotFoundException(`PACS endpoint ${id} does not exist`);
    return record;
  }

  /** Like {@link getRecordOrFail}, and refuses a disabled endpoint (409): no new work goes to a retired PACS. */
  requireEnabledRecord(id: string): PacsEndpointRecord {
    const record = this.getRecordOrFail(id);
    if (record.disabledAt !== null) throw new PacsEndpointDisabledError(`PACS endpoint ${id} is disabled (since ${record.disabledAt}); enable it with PATCH {"enabled": true}`);
    return record;
  }

  create(dto: CreatePacsEndpointDto): PacsEndpointResponseDto {
    this.requireUniqueName(dto.name);
    const fields: PacsEndpointFields = {
      name: dto.name,
      baseUrl: requireValidPacsBaseUrl(dto.baseUrl),
      authType: dto.authType ?? 'none',
      username: dto.username ?? null,
      sealedSecret: dto.secret === undefined ? null : this.cipher.seal(dto.secret),
      timeoutMs: dto.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      disabledAt: null,
    };
    requireCredentials(fields);
    return toResponse(this.repository.create(fields));
  }

  update(id: string, dto: UpdatePacsEndpointDto): PacsEndpointResponseDto {
    const current = this.getRecordOrFail(id);
    if (dto.name !== undefined && dto.name !== current.name) this.requireUniqueName(dto.name);
    const authType = dto.authType ?? current.authType;
    const fields: PacsEndpointFields = {
      name: dto.name ?? current.name,
      baseUrl: dto.baseUrl !== undefined ? requireValidPacsBaseUrl(dto.baseUrl) : current.baseUrl,
      authType,
      username: authType === 'basic' ? (dto.username ?? current.username) : null,
      // Switching to `none` forgets the secret, so a stale credential is never sent anywhere later.
      sealedSecret: authType === 'none' ? null : dto.secret !== undefined ? this.cipher.seal(dto.secret) : current.sealedSecret,
      timeoutMs: dto.timeoutMs ?? current.timeoutMs,
      disabledAt: dto.enabled === undefined ? current.disabledAt : dto.enabled ? null : (current.disabledAt ?? new Date().toISOString()),
    };
    requireCredentials(fields);
    return toResponse(this.repository.update(id, fields));
  }

  delete(id: string): void {
    this.getRecordOrFail(id);
    if (this.repository.hasJobs(id)) throw new ConflictException(`PACS endpoint ${id} has segmentation jobs and cannot be deleted; disable it instead (PATCH {"enabled": false}) to keep the job history`);
    this.repository.delete(id);
  }

  /** Probes QIDO-RS, WADO-RS and STOW-RS of the endpoint; never throws for an unreachable PACS. */
  async test(id: string): Promise<PacsEndpointTestResultDto> {
    const target = this.getTarget(this.getRecordOrFail(id));
    const qido = await this.probes.probeQido(target);
    const wado = await this.probes.probeWado(target, qido.studyInstanceUID);
    const stow = await this.probes.probeStow(target);
    const { studyInstanceUID: _uid, ...qidoResult } = qido;
    return { qido: qidoResult, wado, stow };
  }

  /** The URL, Authorization header and timeout of an endpoint, with its secret opened. */
  getTarget(record: PacsEndpointRecord): PacsTarget {
    return { baseUrl: record.baseUrl, timeoutMs: record.timeoutMs, authorization: this.getAuthorization(record) };
  }

  /** Options for a DicomwebClient of this endpoint, with its secret opened. Never log them. */
  getClientOptions(record: PacsEndpointRecord): { baseUrl: string; timeoutMs: number; auth: DicomwebAuth } {
    const secret = record.sealedSecret === null ? undefined : this.cipher.open(record.sealedSecret);
    const auth: DicomwebAuth =
      record.authType === 'basic' && secret !== undefined
        ? { type: 'basic', username: record.username ?? '', password: secret }
        : record.authType === 'bearer' && secret !== undefined
          ? { type: 'bearer', token: secret }
          : { type: 'none' };
    return { baseUrl: record.baseUrl, timeoutMs: record.timeoutMs, auth };
  }

  getAuthorization(record: PacsEndpointRecord): string | undefined {
    if (record.authType === 'none' || record.sealedSecret === null) return undefined;
    const secret = this.cipher.open(record.sealedSecret);
    if (record.authType === 'bearer') return `Bearer ${secret}`;
    return `Basic ${Buffer.from(`${record.username ?? ''}:${secret}`).toString('base64')}`;
  }

  private requireUniqueName(name: string): void {
    if (this.repository.getByName(name)) throw new ConflictException(`A PACS endpoint named ${JSON.stringify(name)} already exists`);
  }
}

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
    enabled: record.disabledAt === null,
    ...(record.disabledAt ? { disabledAt: record.disabledAt } : {}),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}
