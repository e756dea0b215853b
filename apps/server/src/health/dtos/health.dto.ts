import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class PacsReachabilityDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true, description: 'null for a DIMSE-only PACS (probed with C-ECHO)' }) baseUrl!: string | null;
  @ApiProperty({ type: Boolean, nullable: true, description: 'From the last background probe; null until the endpoint was first probed' }) reachable!: boolean | null;
  @ApiPropertyOptional({ description: 'Round-trip of the last QIDO (or C-ECHO) probe in ms' }) latencyMs?: number;
  @ApiPropertyOptional({ description: 'Why the PACS is unreachable' }) error?: string;
  @ApiProperty({ type: String, nullable: true, description: 'When the last probe ended (ISO 8601); null before the first' }) checkedAt!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Age of that probe in ms at the time of this answer' }) ageMs!: number | null;
}

export class ModelHealthDto {
  @ApiProperty() name!: string;
  @ApiProperty() version!: string;
  @ApiProperty({ description: 'False when the ONNX metadata says covseg.trained=untrained' }) trained!: boolean;
  @ApiProperty({ enum: ['cpu', 'cuda', 'webgpu'] }) provider!: string;
  @ApiProperty({ description: 'DeviceUID our SEG, SR and key images carry for this model file (derived from its SHA-256)' }) deviceUID!: string;
  @ApiProperty() path!: string;
}

export class JobQueueHealthDto {
  @ApiProperty() queued!: number;
  @ApiProperty() running!: number;
}

export class DatabaseHealthDto {
  @ApiProperty({ enum: ['sqlite', 'postgres'] }) dialect!: string;
  @ApiProperty({ description: 'False while the database does not answer (the route then answers 503)' }) reachable!: boolean;
  @ApiPropertyOptional({ description: 'Why it does not answer' }) error?: string;
}

export class DicomListenerHealthDto {
  @ApiProperty({ example: 'COVSEG' }) aeTitle!: string;
  @ApiProperty() host!: string;
  @ApiProperty() port!: number;
  @ApiProperty({ description: 'False while starting or after a failure to bind' }) listening!: boolean;
}

/** What anyone may read: the status alone (no endpoint names, URLs or model path). */
export class PublicHealthDto {
  @ApiProperty({ enum: ['ok', 'degraded'], description: 'degraded: the database does not answer (HTTP 503), the model is missing, the DICOM listener is down, or the last probe of a PACS failed' }) status!: 'ok' | 'degraded';
}

/** What an admin reads: the detail behind the status, PACS reachability from the background probes with their age. */
export class HealthDto extends PublicHealthDto {
  @ApiProperty({ type: String, nullable: true, description: 'When the last complete round of PACS probes ended (ISO 8601)' }) pacsCheckedAt!: string | null;
  @ApiProperty({ type: [PacsReachabilityDto] }) pacsEndpoints!: PacsReachabilityDto[];
  @ApiProperty({ type: ModelHealthDto, nullable: true }) model!: ModelHealthDto | null;
  @ApiProperty({ type: DatabaseHealthDto }) database!: DatabaseHealthDto;
  @ApiProperty({ type: JobQueueHealthDto, nullable: true, description: 'null while the database does not answer' }) jobs!: JobQueueHealthDto | null;
  @ApiPropertyOptional({ type: DicomListenerHealthDto, description: 'The C-STORE SCP; absent when DICOM_PORT is not set' }) dicom?: DicomListenerHealthDto;
}
