import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class PacsReachabilityDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true, description: 'null for a DIMSE-only PACS (probed with C-ECHO)' }) baseUrl!: string | null;
  @ApiProperty() reachable!: boolean;
  @ApiPropertyOptional({ description: 'Round-trip of the QIDO probe in ms' }) latencyMs?: number;
  @ApiPropertyOptional({ description: 'Why the PACS is unreachable' }) error?: string;
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

export class DicomListenerHealthDto {
  @ApiProperty({ example: 'COVSEG' }) aeTitle!: string;
  @ApiProperty() host!: string;
  @ApiProperty() port!: number;
  @ApiProperty({ description: 'False while starting or after a failure to bind' }) listening!: boolean;
}

export class HealthDto {
  @ApiProperty({ enum: ['ok', 'degraded'] }) status!: 'ok' | 'degraded';
  @ApiProperty({ type: [PacsReachabilityDto] }) pacsEndpoints!: PacsReachabilityDto[];
  @ApiProperty({ type: ModelHealthDto, nullable: true }) model!: ModelHealthDto | null;
  @ApiProperty({ type: JobQueueHealthDto }) jobs!: JobQueueHealthDto;
  @ApiPropertyOptional({ type: DicomListenerHealthDto, description: 'The C-STORE SCP; absent when DICOM_PORT is not set' }) dicom?: DicomListenerHealthDto;
}
