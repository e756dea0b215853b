import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OverlayQueryDto, OverlaysDto } from '../dtos/overlay.dto';
import { OverlayService } from '../services/overlay.service';

@ApiTags('viewer')
@Controller('api')
export class OverlayController {
  constructor(private readonly service: OverlayService) {}

  @Get('overlays')
  @ApiOperation({ summary: 'Every SEG in the PACS that references a series, as per-slice labelmaps aligned to that series, with volumes' })
  @ApiOkResponse({ type: OverlaysDto })
  getOverlays(@Query() query: OverlayQueryDto): Promise<OverlaysDto> {
    return this.service.getOverlays(query);
  }
}
