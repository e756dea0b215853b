import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { IsDicomUid } from '../../core/dtos/dicom-uid';

/** Run lengths as the overlays API sends them: base64 of little-endian uint32. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export class CorrectionSliceDto {
  @ApiProperty({ description: 'SOP Instance UID of the source image this mask lies on' })
  @IsDicomUid()
  sopInstanceUID!: string;

  @ApiPropertyOptional({ description: 'For a frame of an Enhanced (multi-frame) source image: its 1-based frame number, as the overlays API gives it; absent for a single-frame image' })
  @IsOptional()
  @IsInt()
  @Min(1)
  frameNumber?: number;

  @ApiProperty({ description: 'The corrected mask of this slice: run lengths over rows x columns (row-major), alternating 0-runs and 1-runs starting with 0, covering every pixel; uint32 LE, base64 (the overlays API codec)' })
  @IsString()
  @MaxLength(4_000_000)
  @Matches(BASE64, { message: 'rle must be base64' })
  rle!: string;
}

export class CorrectionSegmentDto {
  @ApiProperty({ description: 'SegmentNumber in the SEG being corrected' })
  @IsInt()
  @Min(1)
  @Max(65535)
  segmentNumber!: number;

  @ApiProperty({ type: [CorrectionSliceDto], description: 'The whole corrected segment: every slice with foreground; slices left out are empty' })
  @IsArray()
  @ArrayMaxSize(5000)
  @ValidateNested({ each: true })
  @Type(() => CorrectionSliceDto)
  slices!: CorrectionSliceDto[];
}

export class SaveCorrectionDto {
  @ApiProperty() @IsUUID() endpointId!: string;

  @ApiProperty({ description: 'StudyInstanceUID' })
  @IsDicomUid()
  study!: string;

  @ApiProperty({ description: 'SeriesInstanceUID of the image series the SEG segments' })
  @IsDicomUid()
  series!: string;

  @ApiProperty({ description: 'SeriesInstanceUID of the SEG being corrected' })
  @IsDicomUid()
  segSeriesInstanceUID!: string;

  @ApiProperty({ description: 'SOPInstanceUID of the SEG being corrected; it is never modified' })
  @IsDicomUid()
  segSopInstanceUID!: string;

  @ApiProperty({ type: [CorrectionSegmentDto], description: 'The edited segments, whole; segments left out are copied unchanged' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(64)
  @ValidateNested({ each: true })
  @Type(() => CorrectionSegmentDto)
  segments!: CorrectionSegmentDto[];

  @ApiPropertyOptional({ description: 'Free text for the audit log (no patient data)' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  comment?: string;
}

export class CorrectionSegmentFiguresDto {
  @ApiProperty() segmentNumber!: number;
  @ApiProperty() label!: string;
  @ApiProperty() voxelCount!: number;
  @ApiProperty({ description: 'mL' }) volumeMl!: number;
}

export class CorrectionQuantificationDto {
  @ApiProperty({ type: [CorrectionSegmentFiguresDto] }) segments!: CorrectionSegmentFiguresDto[];
  @ApiPropertyOptional({ nullable: true, description: 'Union of the lesion segments (category SCT 49755003), mL' }) infectionMl!: number | null;
  @ApiPropertyOptional({ nullable: true, description: 'Union of the lung segments (type SCT 39607008), mL' }) lungMl!: number | null;
  @ApiPropertyOptional({ nullable: true }) involvementPercent!: number | null;
  @ApiProperty() voxelVolumeMm3!: number;
}

export class CorrectionDto {
  @ApiProperty() id!: string;
  @ApiProperty() pacsEndpointId!: string;
  @ApiProperty() studyInstanceUID!: string;
  @ApiProperty() sourceSeriesInstanceUID!: string;
  @ApiProperty({ description: 'The SEG this one corrects' }) derivedFromSopInstanceUID!: string;
  @ApiProperty() derivedFromSeriesInstanceUID!: string;
  @ApiProperty() segSeriesInstanceUID!: string;
  @ApiProperty() segSopInstanceUID!: string;
  @ApiProperty({ enum: ['pending', 'delivered'] }) status!: 'pending' | 'delivered';
  @ApiProperty({ description: 'Token label or OIDC subject of the reviewer' }) reviewer!: string;
  @ApiProperty({ description: 'Voxels that differ from the SEG it corrects' }) changedVoxels!: number;
  @ApiProperty({ type: CorrectionQuantificationDto }) quantification!: CorrectionQuantificationDto;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ description: 'False when the same edit had been saved before (nothing new was stored)' }) created!: boolean;
}

export class CorrectionListQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsUUID() endpointId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsDicomUid()
  series?: string;
}
