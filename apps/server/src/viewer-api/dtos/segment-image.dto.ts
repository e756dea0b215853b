import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Largest accepted upload (bytes). A 512 x 512 CT slice is ~0.5 MB; a 4096² PNG can reach ~30 MB. */
export const SEGMENT_IMAGE_MAX_BYTES = 32 * 1024 * 1024;

export class SegmentImageUploadDto {
  @ApiProperty({ type: 'string', format: 'binary', description: `PNG, JPEG, TIFF, WebP (8- or 16-bit) or single-frame DICOM slice, at most ${SEGMENT_IMAGE_MAX_BYTES} bytes` })
  file!: unknown;
}

export class SegmentImageResultDto {
  @ApiProperty({ description: 'Image width in pixels' }) width!: number;
  @ApiProperty({ description: 'Image height in pixels' }) height!: number;
  @ApiProperty({ description: 'Mask pixels / all pixels, 0..1' }) infectedFraction!: number;
  @ApiProperty({ description: 'The 8-bit grey image the model saw (DICOM: lung window of the model), data:image/png;base64' }) imagePng!: string;
  @ApiProperty({ description: 'Infection mask, 0 or 255, same size, data:image/png;base64 (a multi-class model: the union of its classes)' }) maskPng!: string;
  @ApiPropertyOptional({ description: 'Multi-class models only: the fraction of all pixels that is ground-glass opacity and consolidation (they add up to infectedFraction)' })
  classFractions?: { ggo: number; consolidation: number };
  @ApiProperty({ enum: ['png', 'jpeg', 'tiff', 'webp', 'dicom'] }) inputFormat!: 'png' | 'jpeg' | 'tiff' | 'webp' | 'dicom';
  @ApiProperty() modelName!: string;
  @ApiProperty() modelVersion!: string;
  @ApiProperty({ description: 'False when the model is an untrained export: its masks are meaningless' }) modelTrained!: boolean;
}
