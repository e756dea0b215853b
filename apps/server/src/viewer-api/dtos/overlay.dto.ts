import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import { IsDicomUid } from '../../core/dtos/dicom-uid';
import { SeriesQueryDto } from './study.dto';

export class OverlayQueryDto extends SeriesQueryDto {
  @ApiProperty({ description: 'SeriesInstanceUID of the image series the overlays go on' })
  @IsDicomUid()
  series!: string;
}

export class OverlaySliceMaskDto {
  @ApiProperty({ description: 'SOP Instance UID of the source image this mask lies on' }) sopInstanceUID!: string;
  @ApiPropertyOptional({ description: 'For a frame of an Enhanced (multi-frame) source image: its 1-based frame number (ReferencedFrameNumber); absent for a single-frame image' })
  frameNumber?: number;
  @ApiProperty({ description: 'Run lengths over rows x columns (row-major), alternating 0-runs and 1-runs starting with 0; uint32 LE, base64' })
  rle!: string;
}

export class OverlaySegmentDto {
  @ApiProperty() segmentNumber!: number;
  @ApiProperty() label!: string;
  @ApiPropertyOptional({ enum: ['ggo', 'consolidation'], description: 'Infection class named by SegmentedPropertyType (DCM 112120 ground glass opacity, SCT 95436008 lung consolidation)' })
  infectionClass?: 'ggo' | 'consolidation';
  @ApiProperty({ type: [Number], description: 'sRGB 0..255 from RecommendedDisplayCIELabValue, or a default palette colour' }) color!: [number, number, number];
  @ApiProperty() voxelCount!: number;
  @ApiProperty({ description: 'voxelCount x voxel volume of the source series, mL' }) volumeMl!: number;
  @ApiProperty({ type: [OverlaySliceMaskDto], description: 'Only slices with foreground' }) slices!: OverlaySliceMaskDto[];
}

export class OverlayClassDto {
  @ApiProperty({ description: 'mL' }) volumeMl!: number;
  @ApiPropertyOptional({ nullable: true, description: 'class / lung x 100, same side; null without a lung segment' }) involvementPercent!: number | null;
}

export class OverlayClassesDto {
  @ApiProperty({ type: OverlayClassDto }) ggo!: OverlayClassDto;
  @ApiProperty({ type: OverlayClassDto }) consolidation!: OverlayClassDto;
}

export class OverlayRegionDto {
  @ApiProperty() infectionMl!: number;
  @ApiProperty() lungMl!: number;
  @ApiProperty({ description: 'infection / lung x 100, same side' }) involvementPercent!: number;
  @ApiPropertyOptional({ type: OverlayClassesDto, description: 'Multi-class results: ground-glass opacity and consolidation of this side' }) classes?: OverlayClassesDto;
}

export class OverlayQuantificationDto {
  @ApiProperty({ enum: ['sr', 'seg'], description: 'sr: read from our TID 1500 report that measures this SEG; seg: counted from the SEG masks' }) source!: 'sr' | 'seg';
  @ApiPropertyOptional({ description: 'The SR the figures come from' }) srSopInstanceUID?: string;
  @ApiPropertyOptional({ type: OverlayRegionDto, description: "Patient's right lung (from the SR)" }) right?: OverlayRegionDto;
  @ApiPropertyOptional({ type: OverlayRegionDto, description: "Patient's left lung (from the SR)" }) left?: OverlayRegionDto;
  @ApiProperty() infectionMl!: number;
  @ApiPropertyOptional({ nullable: true }) lungMl!: number | null;
  @ApiPropertyOptional({ nullable: true, description: 'infection / lung x 100' }) involvementPercent!: number | null;
  @ApiPropertyOptional({ type: OverlayClassesDto, description: 'Multi-class results: ground-glass opacity and consolidation, both lungs (they add up to the infection)' }) classes?: OverlayClassesDto;
  @ApiProperty() modelName!: string;
  @ApiProperty() modelVersion!: string;
  @ApiProperty({ description: 'False when the SEG says it came from an untrained model (ContentDescription)' }) modelTrained!: boolean;
}

export class OverlayReviewDto {
  @ApiProperty({ enum: ['accepted', 'rejected', 'corrected'] }) status!: 'accepted' | 'rejected' | 'corrected';
  @ApiProperty() reviewer!: string;
  @ApiProperty() updatedAt!: string;
}

export class OverlaySegDto {
  @ApiProperty() segSeriesInstanceUID!: string;
  @ApiProperty() segSopInstanceUID!: string;
  @ApiProperty() seriesDescription!: string;
  @ApiProperty() manufacturer!: string;
  @ApiProperty({ description: 'Written by covseg (ContentLabel COVSEG)' }) ours!: boolean;
  @ApiProperty({ enum: ['ai', 'correction', 'other'], description: 'ai: our automatic SEG; correction: a reader-corrected SEG saved by covseg (ContentLabel COVSEG_CORRECTED); other: any other tool' })
  kind!: 'ai' | 'correction' | 'other';
  @ApiPropertyOptional({ nullable: true, description: 'For a correction: the SEG it corrects (SourceImageSequence)' }) derivedFromSopInstanceUID!: string | null;
  @ApiPropertyOptional({ type: OverlayReviewDto, nullable: true, description: 'Review status in our records; null: not reviewed' }) review!: OverlayReviewDto | null;
  @ApiPropertyOptional({ nullable: true, description: 'For a correction saved here: the reviewer (token label or OIDC subject)' }) correctedBy!: string | null;
  @ApiProperty({ description: 'True for a rejected result, and for a result whose correction is listed too: the viewer hides it until asked' }) hiddenByDefault!: boolean;
  @ApiProperty() rows!: number;
  @ApiProperty() columns!: number;
  @ApiProperty({ type: [OverlaySegmentDto] }) segments!: OverlaySegmentDto[];
  @ApiPropertyOptional({ type: OverlayQuantificationDto, nullable: true }) quantification!: OverlayQuantificationDto | null;
  @ApiProperty({ description: 'A newer result of ours supersedes this one (its SR is a predecessor of a newer SR); the viewer hides it by default' }) superseded!: boolean;
}

export class OverlayErrorDto {
  @ApiProperty() segSopInstanceUID!: string;
  @ApiProperty() message!: string;
}

export class OverlaysDto {
  @ApiProperty() seriesInstanceUID!: string;
  @ApiProperty({ description: 'Voxel volume of the source series, mm³' }) voxelVolumeMm3!: number;
  @ApiProperty({ type: [OverlaySegDto] }) segs!: OverlaySegDto[];
  @ApiProperty({ type: [OverlayErrorDto], description: 'SEGs that reference the series but could not be read, with the reason' }) errors!: OverlayErrorDto[];
}
