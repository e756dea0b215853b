import { Controller, HttpCode, Post, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiPayloadTooLargeResponse, ApiTags, ApiUnprocessableEntityResponse, ApiUnsupportedMediaTypeResponse } from '@nestjs/swagger';
import { SEGMENT_IMAGE_MAX_BYTES, SegmentImageResultDto, SegmentImageUploadDto } from '../dtos/segment-image.dto';
import { UploadBufferStorage } from '../../core/http/upload-buffer.storage';
import { SegmentImageService } from '../services/segment-image.service';

/** The part of multer's file object we read (UploadBufferStorage: a buffer this upload owns alone). */
interface UploadedMulterFile {
  buffer: Buffer;
  originalname: string;
}

@ApiTags('viewer')
@Controller('api')
export class SegmentImageController {
  constructor(private readonly service: SegmentImageService) {}

  @Post('segment-image')
  @HttpCode(200)
  @UseInterceptors(FileInterceptor('file', { storage: new UploadBufferStorage(SEGMENT_IMAGE_MAX_BYTES), limits: { fileSize: SEGMENT_IMAGE_MAX_BYTES, files: 1 } }))
  @ApiOperation({ summary: 'Segment one uploaded PNG, JPEG, TIFF, WebP or single-frame DICOM slice; returns the mask and the infected fraction' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: SegmentImageUploadDto })
  @ApiOkResponse({ type: SegmentImageResultDto })
  @ApiUnsupportedMediaTypeResponse({ description: 'Not PNG, JPEG, TIFF, WebP or DICOM, or no file' })
  @ApiPayloadTooLargeResponse({ description: `Over ${SEGMENT_IMAGE_MAX_BYTES} bytes or 4096 px per side` })
  @ApiUnprocessableEntityResponse({ description: 'Corrupt image, multi-frame or non-CT DICOM' })
  segment(@UploadedFile() file: UploadedMulterFile | undefined): Promise<SegmentImageResultDto> {
    // The storage engine gives each upload its own ArrayBuffer, so the service may hand it to a worker.
    return this.service.segment(file && { bytes: new Uint8Array(file.buffer.buffer, file.buffer.byteOffset, file.buffer.byteLength), originalName: file.originalname, transferable: true });
  }
}
