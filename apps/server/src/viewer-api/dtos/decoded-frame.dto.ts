import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { IsDicomUid } from '../../core/dtos/dicom-uid';

export class DecodedFrameParamsDto {
  @ApiProperty() @IsUUID() endpointId!: string;
  @ApiProperty() @IsDicomUid() study!: string;
  @ApiProperty() @IsDicomUid() series!: string;
  @ApiProperty() @IsDicomUid() instance!: string;
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
