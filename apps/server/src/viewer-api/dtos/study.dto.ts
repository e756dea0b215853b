import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';

import { IsDicomUid } from '../../core/dtos/dicom-uid';

export class StudySearchQueryDto {
  @ApiProperty({ description: 'PACS endpoint id' })
  @IsUUID()
  endpointId!: string;

  @ApiPropertyOptional({ description: 'PatientID, exact or with * and ? wildcards' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  patientId?: string;

  @ApiPropertyOptional({ description: 'PatientName; a trailing * is added when no wildcard is given' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  patientName?: string;

  @ApiPropertyOptional({ description: 'StudyDate, YYYYMMDD or a range YYYYMMDD-YYYYMMDD' })
  @IsOptional()
  @Matches(/^(\d{8})?(-(\d{8})?)?$/, { message: 'studyDate must be YYYYMMDD or a range YYYYMMDD-YYYYMMDD' })
  studyDate?: string;

  @ApiPropertyOptional({ description: 'AccessionNumber' })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  accessionNumber?: string;
}

export class SeriesQueryDto {
  @ApiProperty() @IsUUID() endpointId!: string;

  @ApiProperty({ description: 'StudyInstanceUID' })
  @IsDicomUid()
  study!: string;
}

export class StudySummaryDto {
  @ApiProperty() studyInstanceUID!: string;
  @ApiProperty() patientId!: string;
  @ApiProperty({ description: 'DICOM PN, shown to the user; never logged' }) patientName!: string;
  @ApiProperty({ description: 'YYYYMMDD' }) studyDate!: string;
  @ApiProperty() accessionNumber!: string;
  @ApiProperty() studyDescription!: string;
  @ApiProperty({ type: [String] }) modalities!: string[];
  @ApiProperty({ enum: ['seg', 'running', 'none'], description: 'seg: a SEG of ours exists; running: a job is queued or running; none' })
  segStatus!: 'seg' | 'running' | 'none';
  @ApiPropertyOptional({ description: 'The running or latest succeeded job' }) jobId?: string;
  @ApiPropertyOptional({ enum: ['ai', 'reviewed', 'rejected'], nullable: true, description: 'ai: a result nobody reviewed; reviewed: accepted or corrected; rejected; null: no result known' })
  reviewStatus!: 'ai' | 'reviewed' | 'rejected' | null;
  @ApiPropertyOptional({ nullable: true, description: 'Infection / lung x 100 of the newest correction, else of the newest succeeded job' }) involvementPercent!: number | null;
  @ApiPropertyOptional({
    nullable: true,
    description: 'Multi-class results: ground-glass opacity and consolidation / lung x 100 of the newest succeeded job; null for a binary model, no result, or a corrected study',
  })
  classInvolvementPercent!: { ggo: number; consolidation: number } | null;
}

export class SeriesSummaryDto {
  @ApiProperty() seriesInstanceUID!: string;
  @ApiProperty() modality!: string;
  @ApiProperty() seriesNumber!: string;
  @ApiProperty() seriesDescription!: string;
  @ApiProperty() numberOfInstances!: number;
}
