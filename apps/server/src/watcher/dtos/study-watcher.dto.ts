import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min } from 'class-validator';
import { IsDicomUid } from '../../core/dtos/dicom-uid';

export class StudyWatcherSettingsDto {
  @IsBoolean()
  enabled!: boolean;

  /** ModalitiesInStudy values a study must contain; default `['CT']`. */
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(8)
  @Matches(/^[A-Z]{2,4}$/, { each: true, message: 'modalities must be DICOM modality codes such as CT' })
  modalities?: string[];

  /** Series-level BodyPartExamined a study must have (e.g. `CHEST`); omitted: any. */
  @IsOptional()
  @IsString()
  @Matches(/^[A-Z0-9 _]{1,16}$/, { message: 'bodyPartExamined must be a DICOM CS value such as CHEST' })
  bodyPartExamined?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(86400)
  pollSeconds?: number;

  /** When true, studies already in the PACS when the watcher is enabled are segmented too. */
  @IsOptional()
  @IsBoolean()
  processExisting?: boolean;
}

export class StudyWatcherDto {
  pacsEndpointId!: string;
  enabled!: boolean;
  modalities!: string[];
  bodyPartExamined!: string | null;
  pollSeconds!: number;
  processExisting!: boolean;
  watermarkStudyDate!: string | null;
  lastPollAt!: string | null;
  lastError!: string | null;
  seen!: Array<{ studyInstanceUID: string; jobId: string | null }>;
}

export class EndpointIdParamsDto {
  @IsUUID()
  id!: string;
}

/**
 * What an Orthanc Lua `OnStableStudy` callback posts. Only the endpoint is needed (the watcher re-polls
 * and applies its filter and once-only rule); the study UID is logged for tracing.
 */
export class OrthancNotificationDto {
  @IsUUID()
  pacsEndpointId!: string;

  @IsOptional()
  @IsDicomUid()
  StudyInstanceUID?: string;
}
