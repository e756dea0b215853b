import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DecodedFrameParamsDto, DecodedFrameQueryDto } from '../dtos/decoded-frame.dto';
import { DecodedFrameService } from '../services/decoded-frame.service';

@ApiTags('viewer')
@Controller('api/decoded-frames')
export class DecodedFrameController {
  constructor(private readonly service: DecodedFrameService) {}

  @Get(':endpointId/studies/:study/series/:series/instances/:instance')
  @ApiOperation({ summary: 'One frame decoded on the server (stored values, little endian), for PACSes that cannot transcode; headers X-Rows, X-Columns, X-Bits-Allocated, X-Pixel-Signed' })
  @ApiProduces('application/octet-stream')
  async decode(@Param() params: DecodedFrameParamsDto, @Query() query: DecodedFrameQueryDto, @Res() response: Response): Promise<void> {
    const frame = await this.service.decode(params, query.frame);
    response
      .status(200)
      .set({
        'content-type': 'application/octet-stream',
        'x-rows': String(frame.rows),
        'x-columns': String(frame.columns),
        'x-bits-allocated': String(frame.bitsAllocated),
        'x-pixel-signed': String(frame.signed),
      })
      .end(frame.bytes);
  }
}
