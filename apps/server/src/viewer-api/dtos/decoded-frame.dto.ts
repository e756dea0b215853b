import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsUUID, Matches, MaxLength, Max, Min } from 'class-validator';
import { UID_PATTERN } from './study.dto';

export class DecodedFrameParamsDto {
  @ApiProperty() @IsUUID() endpointId!: string;
  @ApiProperty() @MaxLength(64) @Matches(UID_PATTERN, { message: 'study must be a DICOM UID' }) study!: string;
  @ApiProperty() @MaxLength(64) @Matches(UID_PATTERN, { message: 'series must be a DICOM UID' }) series!: string;
  @ApiProperty() @MaxLength(64) @Matches(UID_PATTERN, { message: 'instance must be a DICOM UID' }) instance!: string;
}

export class DecodedFrameQueryDto {
  @ApiPropertyOptional({ description: '1-based frame number (PS3.18 frame numbering), default 1' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  frame?: number;
}
