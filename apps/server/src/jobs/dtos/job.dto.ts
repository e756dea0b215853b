import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { IsDicomUid } from '../../core/dtos/dicom-uid';

export class CreateJobDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  pacsEndpointId!: string;

  @ApiProperty({ example: '1.3.6.1.4.1.14519.5.2.1.6279.6001.298806137288633453246975630178' })
  @IsDicomUid()
  studyInstanceUID!: string;

  @ApiPropertyOptional({ description: 'Omit to let the server pick the best axial CT series by the rules in the job result' })
  @IsOptional()
  @IsDicomUid()
  seriesInstanceUID?: string;

  @ApiPropertyOptional({
    description:
      'Segment and store a new result (SEG + SR run n+1) even when one of this series and model version exists. The new series are numbered and named apart (" run n") and the SR lists the reports it supersedes; nothing is deleted.',
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  force?: boolean;
}

export class ListJobsQueryDto {
  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class JobCreatedDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['queued'] }) status!: string;
}

export class ClassQuantificationDto {
  @ApiProperty({ description: 'mL' }) volumeMl!: number;
  @ApiProperty({ description: 'class volume / lung volume of the same region x 100' }) involvementPercent!: number;
}

export class InfectionClassesDto {
  @ApiProperty({ type: ClassQuantificationDto, description: 'Ground-glass opacity' }) ggo!: ClassQuantificationDto;
  @ApiProperty({ type: ClassQuantificationDto, description: 'Consolidation' }) consolidation!: ClassQuantificationDto;
}

export class RegionQuantificationDto {
  @ApiProperty({ description: 'mL (for a multi-class model, the union of its classes)' }) infectionVolumeMl!: number;
  @ApiProperty({ description: 'mL' }) lungVolumeMl!: number;
  @ApiProperty({ description: 'infection / lung x 100' }) involvementPercent!: number;
  @ApiPropertyOptional({ type: InfectionClassesDto, description: 'Multi-class models only (covseg.classes): per-class volume and % of this lung region; they add up to the infection' })
  classes?: InfectionClassesDto;
}

export class QuantificationDto extends RegionQuantificationDto {
  @ApiPropertyOptional({ type: RegionQuantificationDto, description: "Patient's right lung" }) right?: RegionQuantificationDto;
  @ApiPropertyOptional({ type: RegionQuantificationDto, description: "Patient's left lung" }) left?: RegionQuantificationDto;
}

export class JobModelDto {
  @ApiProperty() name!: string;
  @ApiProperty() version!: string;
  @ApiProperty() trained!: boolean;
}

export class JobRetrieveDto {
  @ApiProperty({ description: 'Transfer syntax the WADO-RS retrieve that delivered the series asked for: 1.2.840.10008.1.2.1 (the PACS transcoded) or * (as stored)' })
  requested!: string;
  @ApiPropertyOptional({ description: "Stored transfer syntax of the series' first instance, when looked up (RETRIEVE_TRANSFER_SYNTAX=auto)" }) storedTransferSyntaxUID?: string;
  @ApiPropertyOptional({ description: 'Why the series was retrieved as stored after asking the PACS to transcode it (HTTP status or error class)' }) transcodeFailed?: string;
  @ApiProperty({ description: 'Instances received per transfer syntax', type: 'object', additionalProperties: { type: 'number' } }) receivedTransferSyntaxes!: Record<string, number>;
}

export class JobResultDto {
  @ApiProperty() segSeriesInstanceUID!: string;
  @ApiProperty() segSopInstanceUID!: string;
  @ApiPropertyOptional({ description: 'The TID 1500 measurement report (Comprehensive 3D SR) stored with the SEG' }) srSeriesInstanceUID?: string;
  @ApiPropertyOptional() srSopInstanceUID?: string;
  @ApiProperty({ enum: ['none', 'database', 'pacs'], description: 'none: a new SEG and SR were stored; otherwise the existing result found there is returned (figures read from its SR)' })
  reused!: 'none' | 'database' | 'pacs';
  @ApiPropertyOptional({ description: '1 for the first result of this model version on the series, n for the n-th (forced) run' }) run?: number;
  @ApiPropertyOptional({ type: [String], description: 'SOP Instance UIDs of the earlier SRs this result supersedes' }) supersedes?: string[];
  @ApiPropertyOptional({ description: 'Device UID of the model build (changes whenever the model file changes)' }) deviceUID?: string;
  @ApiPropertyOptional({ description: 'Secondary Capture key images stored with the result' }) keyImages?: number;
  @ApiPropertyOptional({ description: 'Source slices segmented' }) slices?: number;
  @ApiPropertyOptional({ description: 'Slices that went through the model (the others had too little lung to run)' }) slicesInferred?: number;
  @ApiProperty({ type: JobModelDto }) model!: JobModelDto;
  @ApiProperty({ type: QuantificationDto, nullable: true, description: 'null only for results stored before this server wrote SRs' })
  quantification!: QuantificationDto | null;
  @ApiPropertyOptional({ description: 'Size of the stored SEG in bytes' }) segBytes?: number;
  @ApiPropertyOptional({ type: JobRetrieveDto, description: 'How the series came from the PACS (WADO-RS jobs that built a new result)' }) retrieve?: JobRetrieveDto;
}

export class JobErrorDto {
  @ApiProperty({ description: 'Stable code, e.g. series-rejected:not-ct, study-not-found, pacs-unavailable, malformed-instance, timeout' }) code!: string;
  @ApiProperty({ description: 'What happened and what to do about it' }) message!: string;
}

export class JobProgressDto {
  @ApiProperty() slicesDone!: number;
  @ApiProperty() slicesTotal!: number;
}

export class JobQueueDto {
  @ApiPropertyOptional({ nullable: true, description: 'Jobs ahead of this one in the queue (0: next); null unless queued' }) position!: number | null;
  @ApiPropertyOptional({
    nullable: true,
    description: 'Estimated seconds until this job finishes, from the recent per-slice throughput of finished jobs and the workers running; null without history or once finished',
  })
  etaSeconds!: number | null;
  @ApiProperty({ description: 'Worker processes taking jobs now' }) workers!: number;
}

export class JobDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] }) status!: string;
  @ApiProperty() pacsEndpointId!: string;
  @ApiProperty({ enum: ['dicomweb', 'dimse'], description: 'dicomweb: pulled from the PACS with QIDO/WADO-RS; dimse: pushed to our C-STORE SCP' }) source!: 'dicomweb' | 'dimse';
  @ApiProperty() studyInstanceUID!: string;
  @ApiPropertyOptional({ description: 'The series segmented (requested or chosen)', nullable: true }) seriesInstanceUID!: string | null;
  @ApiPropertyOptional({ nullable: true }) requestedSeriesInstanceUID!: string | null;
  @ApiProperty() force!: boolean;
  @ApiPropertyOptional({ nullable: true, enum: ['qido', 'retrieve', 'decode', 'preprocess', 'infer', 'postprocess', 'segEncode', 'stow'] }) stage!: string | null;
  @ApiProperty({ type: JobProgressDto }) progress!: JobProgressDto;
  @ApiPropertyOptional({ type: JobQueueDto, description: 'Queue position and ETA (GET /api/jobs/:id only)' }) queue?: JobQueueDto;
  @ApiProperty({ description: 'Wall time per stage in ms (qido, retrieve, decode, preprocess, infer, postprocess, segEncode, stow)', type: 'object', additionalProperties: { type: 'number' } })
  timings!: Record<string, number>;
  @ApiProperty() attempts!: number;
  @ApiProperty() cancelRequested!: boolean;
  @ApiPropertyOptional({ description: 'How the series was chosen: the rules and each candidate verdict', type: 'object', nullable: true, additionalProperties: true })
  seriesSelection!: unknown;
  @ApiPropertyOptional({ type: JobResultDto, nullable: true }) result!: JobResultDto | null;
  @ApiPropertyOptional({ type: JobErrorDto, nullable: true }) error!: JobErrorDto | null;
  @ApiProperty() createdAt!: string;
  @ApiPropertyOptional({ nullable: true }) startedAt!: string | null;
  @ApiPropertyOptional({ nullable: true }) finishedAt!: string | null;
}
