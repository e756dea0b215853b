import { Body, Controller, Get, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, Roles } from '../../core/decorators/auth.decorators';
import type { Principal } from '../../core/principal';
import { CorrectionDto, CorrectionListQueryDto, SaveCorrectionDto } from '../dtos/correction.dto';
import { CorrectionService } from '../services/correction.service';

@ApiTags('review')
@Controller('api/corrections')
export class CorrectionController {
  constructor(private readonly service: CorrectionService) {}

  @Post()
  @Roles('reviewer')
  @ApiOperation({ summary: 'Store a corrected SEG (new series) derived from a SEG on the PACS; reviewer or admin. The same edit saved again answers 200 with the first save.' })
  @ApiCreatedResponse({ type: CorrectionDto })
  async save(@CurrentPrincipal() principal: Principal, @Body() dto: SaveCorrectionDto, @Res({ passthrough: true }) response: Response): Promise<CorrectionDto> {
    const saved = await this.service.save(principal, dto);
    response.status(saved.created ? 201 : 200);
    return saved;
  }

  @Get()
  @ApiOperation({ summary: 'Saved corrections, newest first' })
  @ApiOkResponse({ type: [CorrectionDto] })
  list(@Query() query: CorrectionListQueryDto): Promise<CorrectionDto[]> {
    return this.service.list(query);
  }
}
