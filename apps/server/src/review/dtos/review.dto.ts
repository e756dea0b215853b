import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { UID_PATTERN } from '../../core/dtos/dicom-uid';

export class SetReviewDto {
  @ApiProperty() @IsUUID() endpointId!: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  @Matches(UID_PATTERN, { message: 'study must be a DICOM UID' })
  study!: string;

  @ApiProperty({ description: 'SeriesInstanceUID of the image series' })
  @IsString()
  @MaxLength(64)
  @Matches(UID_PATTERN, { message: 'series must be a DICOM UID' })
  series!: string;

  @ApiProperty()
  @IsString()
  @MaxLength(64)
  @Matches(UID_PATTERN, { message: 'segSeriesInstanceUID must be a DICOM UID' })
  segSeriesInstanceUID!: string;

  @ApiProperty()
  @IsString()
  @MaxLength(64)
  @Matches(UID_PATTERN, { message: 'segSopInstanceUID must be a DICOM UID' })
  segSopInstanceUID!: string;

  @ApiProperty({ enum: ['accepted', 'rejected'] })
  @IsIn(['accepted', 'rejected'])
  status!: 'accepted' | 'rejected';
}

export class ReviewDto {
  @ApiProperty() segSopInstanceUID!: string;
  @ApiProperty() segSeriesInstanceUID!: string;
  @ApiProperty() studyInstanceUID!: string;
  @ApiProperty() sourceSeriesInstanceUID!: string;
  @ApiProperty({ enum: ['accepted', 'rejected', 'corrected'] }) status!: 'accepted' | 'rejected' | 'corrected';
  @ApiPropertyOptional({ nullable: true }) correctionId!: string | null;
  @ApiProperty({ description: 'Token label or OIDC subject' }) reviewer!: string;
  @ApiProperty() updatedAt!: string;
}

export class ReviewListQueryDto {
  @ApiProperty() @IsUUID() endpointId!: string;

  @ApiProperty()
  @IsString()
  @MaxLength(64)
  @Matches(UID_PATTERN, { message: 'study must be a DICOM UID' })
  study!: string;
}
