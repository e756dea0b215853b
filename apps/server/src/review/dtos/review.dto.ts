import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsUUID } from 'class-validator';
import { IsDicomUid } from '../../core/dtos/dicom-uid';

export class SetReviewDto {
  @ApiProperty() @IsUUID() endpointId!: string;

  @ApiProperty()
  @IsDicomUid()
  study!: string;

  @ApiProperty({ description: 'SeriesInstanceUID of the image series' })
  @IsDicomUid()
  series!: string;

  @ApiProperty()
  @IsDicomUid()
  segSeriesInstanceUID!: string;

  @ApiProperty()
  @IsDicomUid()
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
  @IsDicomUid()
  study!: string;
}
