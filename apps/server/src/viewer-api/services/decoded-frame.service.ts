import { Injectable, UnprocessableEntityException } from '@nestjs/common';
import { DicomError, parseDicom } from '@covseg/dicom';
import { DecodedFrameParamsDto } from '../dtos/decoded-frame.dto';
import { pacsFailure } from '../../pacs/pacs.errors';
import { PacsGateway } from '../../pacs/repositories/pacs.gateway';

/** The instance was retrieved but its frame cannot be decoded (unsupported or corrupt compression). */
export class FrameDecodeFailedError extends UnprocessableEntityException {
  override name = 'FrameDecodeFailedError';
}

export interface DecodedFrame {
  /** Stored values (before the Modality LUT), little-endian, row-major; 16-bit or 8-bit per pixel. Owned by the caller. */
  bytes: Buffer;
  rows: number;
  columns: number;
  bitsAllocated: 8 | 16;
  signed: boolean;
}

/**
 * The viewer's fallback when a PACS cannot transcode a frame to explicit little endian (PS3.18
 * §8.7.3.5.2 lets it refuse): retrieve the instance and decode it with libs/dicom, which reads JPEG
 * baseline/lossless, JPEG-LS, JPEG 2000, RLE and deflate.
 */
@Injectable()
export class DecodedFrameService {
  constructor(
    private readonly pacs: PacsGateway,
  ) {}

  async decode(params: DecodedFrameParamsDto, frame = 1): Promise<DecodedFrame> {
    const client = await this.pacs.client(params.endpointId, 'viewer');
    let bytes: Uint8Array;
    try {
      bytes = await client.retrieveInstance(params.study, params.series, params.instance);
    } catch (error) {
      throw pacsFailure(error, `WADO-RS retrieve of instance ${params.instance}`);
    }
    try {
      const instance = parseDicom(bytes);
      if (frame > instance.frames()) throw new FrameDecodeFailedError(`Decoding frame ${frame} of instance ${params.instance} failed: it has ${instance.frames()} frame(s)`);
      const stored = await instance.decodeFrame(frame - 1);
      const pixel = instance.pixel!;
      // 1-bit frames come back one 0/1 byte per pixel; the viewer reads them as 8-bit.
      const bitsAllocated = stored.BYTES_PER_ELEMENT === 2 ? 16 : 8;
      return { bytes: Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength), rows: pixel.rows, columns: pixel.columns, bitsAllocated, signed: stored instanceof Int16Array };
    } catch (error) {
      if (error instanceof DicomError) throw new FrameDecodeFailedError(`Decoding instance ${params.instance} failed: ${error.message}`, { cause: error });
      throw error;
    }
  }
}
