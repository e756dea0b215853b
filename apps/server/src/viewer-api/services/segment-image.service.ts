import { Injectable, Logger } from '@nestjs/common';
import { decodeGrayImage, detectImageFormat, encodePng, ImageDecodeError, ImageTooLargeError, InvalidInputError, type ImageFormat, segmentGrayImage, type SegmentationModel } from '@covseg/segmentation';
import { SegmentImageResultDto } from '../dtos/segment-image.dto';
import { ViewerModelRepository } from '../repositories/viewer-model.repository';
import { UploadRejectedError, UploadTooLargeError, UploadUnreadableError } from '../viewer.errors';
import { DicomSliceWorkerRepository } from '../repositories/dicom-slice-worker.repository';

export interface UploadedSlice {
  bytes: Uint8Array;
  originalName: string;
  /**
   * True when `bytes` views an ArrayBuffer that nothing else uses (the upload storage's own): the
   * DICOM parse worker then takes it without a copy, and `bytes` is detached afterwards.
   */
  transferable?: boolean;
}

/** Longest accepted side of an uploaded image (pixels); the model input is 256², so more is only cost. */
const MAX_SIDE = 4096;

/**
 * The prototype's one-slice flow (`POST /api/segment-image`): PNG/JPEG/TIFF/WebP are taken as already
 * lung-windowed; a full-field picture is framed to the lungs found in it, and infection kept inside them
 * (segmentGrayImage). DICOM slices are windowed, framed and clipped to their HU lung mask here.
 */
@Injectable()
export class SegmentImageService {
  private readonly logger = new Logger(SegmentImageService.name);

  constructor(
    private readonly models: ViewerModelRepository,
    private readonly slices: DicomSliceWorkerRepository,
  ) {}

  async segment(upload: UploadedSlice | undefined): Promise<SegmentImageResultDto> {
    if (!upload || upload.bytes.length === 0) throw new UploadRejectedError('Segmenting an uploaded slice failed: send one non-empty file in the multipart field "file"');
    const format = detectFormat(upload.bytes);
    if (!format) {
      throw new UploadRejectedError('Segmenting an uploaded slice failed: the file is not PNG, JPEG, TIFF, WebP or DICOM (Part 10 with the DICM prefix)');
    }
    const model = this.models.getModelOrFail();
    const started = Date.now();
    const result = format === 'dicom' ? await this.segmentDicom(model, upload.bytes, upload.transferable === true) : await this.segmentPicture(model, upload.bytes, format);
    // No file name in the log: uploads may be named after the patient.
    this.logger.log(`Segmented an uploaded ${format} slice ${result.width}x${result.height} in ${Date.now() - started} ms`);
    return result;
  }

  private async segmentPicture(model: SegmentationModel, bytes: Uint8Array, format: ImageFormat): Promise<SegmentImageResultDto> {
    let image;
    try {
      image = await decodeGrayImage(bytes, { maxSide: MAX_SIDE });
    } catch (error) {
      if (error instanceof ImageTooLargeError) throw new UploadTooLargeError(`Segmenting an uploaded slice refused: ${error.message}`, { cause: error });
      if (error instanceof ImageDecodeError || error instanceof InvalidInputError) throw new UploadUnreadableError(`Segmenting an uploaded ${format} failed: ${error.message}`, { cause: error });
      throw error;
    }
    const { mask, infectedFraction } = await segmentGrayImage(model, image);
    return this.toResult(model, image.pixels, mask, image.width, image.height, infectedFraction, format);
  }

  private async segmentDicom(model: SegmentationModel, bytes: Uint8Array, transferable: boolean): Promise<SegmentImageResultDto> {
    // Parsing and pixel work on the untrusted file run in a worker thread (limits: see the repository).
    const { windowCenter, windowWidth, frameMargin, minFrameMm, minLungAreaMm2 } = model.contract;
    const slice = await this.slices.prepare(bytes, { windowCenter, windowWidth, frameMargin, minFrameMm, minLungAreaMm2 }, { transfer: transferable });
    const mask = new Uint8Array(slice.columns * slice.rows);
    if (slice.frame) {
      const { x, y, width, height } = slice.frame;
      const crop = new Uint8Array(width * height);
      for (let row = 0; row < height; row++) crop.set(slice.gray.subarray((y + row) * slice.columns + x, (y + row) * slice.columns + x + width), row * width);
      // Framed here from the HU lung mask: the picture path's own lung finding would only guess it again.
      const framed = await segmentGrayImage(model, { pixels: crop, width, height }, { findLungs: false });
      // Everything outside the frame stays 0 (docs/CONTRACTS.md §1, postprocessing), and so does everything
      // outside the lung, as in jobs (segmentVolume keeps infection inside the lung mask).
      for (let row = 0; row < height; row++) {
        const at = (y + row) * slice.columns + x;
        // Labels (1, or 1 GGO / 2 consolidation) are kept where the lung is: never a bitwise AND with the
        // 0/1 lung, which would turn consolidation (2 & 1) into nothing.
        for (let col = 0; col < width; col++) mask[at + col] = slice.lung[at + col] ? framed.mask[row * width + col]! : 0;
      }
    }
    let count = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i]) count++;
    return this.toResult(model, slice.gray, mask, slice.columns, slice.rows, count / mask.length, 'dicom');
  }

  private async toResult(model: SegmentationModel, gray: Uint8Array, mask: Uint8Array, width: number, height: number, infectedFraction: number, inputFormat: SegmentImageResultDto['inputFormat']): Promise<SegmentImageResultDto> {
    const mask255 = new Uint8Array(mask.length);
    for (let i = 0; i < mask.length; i++) mask255[i] = mask[i] ? 255 : 0;
    const [imagePng, maskPng] = await Promise.all([encodePng(gray, width, height, 1), encodePng(mask255, width, height, 1)]);
    let consolidated = 0;
    if (model.multiClass) for (let i = 0; i < mask.length; i++) if (mask[i] === 2) consolidated++;
    return {
      width,
      height,
      infectedFraction,
      ...(model.multiClass ? { classFractions: { ggo: infectedFraction - consolidated / mask.length, consolidation: consolidated / mask.length } } : {}),
      imagePng: `data:image/png;base64,${imagePng.toString('base64')}`,
      maskPng: `data:image/png;base64,${maskPng.toString('base64')}`,
      inputFormat,
      modelName: model.name,
      modelVersion: model.version,
      modelTrained: model.trained,
    };
  }
}

/** PNG/JPEG/TIFF/WebP by their signatures, DICOM by the Part 10 `DICM` prefix (PS3.10 §7.1). */
export function detectFormat(bytes: Uint8Array): ImageFormat | 'dicom' | undefined {
  if (bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d) return 'dicom';
  return detectImageFormat(bytes);
}
