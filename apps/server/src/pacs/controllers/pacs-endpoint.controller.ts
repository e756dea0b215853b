import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  CreatePacsEndpointDto,
  PacsEndpointResponseDto,
  PacsEndpointTestResultDto,
  UpdatePacsEndpointDto,
} from '../dtos/pacs-endpoint.dto';
import { PacsEndpointService } from '../services/pacs-endpoint.service';
import { Audited } from '../../audit/decorators/audited.decorator';
import { Roles } from '../../core/decorators/auth.decorators';

@ApiTags('pacs-endpoints')
@Controller('api/pacs-endpoints')
export class PacsEndpointController {
  constructor(private readonly service: PacsEndpointService) {}

  @Get()
  @ApiOkResponse({ type: [PacsEndpointResponseDto] })
  list(): Promise<PacsEndpointResponseDto[]> {
    return this.service.list();
  }

  @Post()
  @Roles('admin')
  @Audited('pacs-endpoint.create', 'pacs-endpoint')
  @ApiCreatedResponse({ type: PacsEndpointResponseDto })
  create(@Body() dto: CreatePacsEndpointDto): Promise<PacsEndpointResponseDto> {
    return this.service.create(dto);
  }

  @Get(':id')
  @ApiOkResponse({ type: PacsEndpointResponseDto })
  get(@Param('id', ParseUUIDPipe) id: string): Promise<PacsEndpointResponseDto> {
    return this.service.get(id);
  }

  @Patch(':id')
  @Roles('admin')
  @Audited('pacs-endpoint.update', 'pacs-endpoint')
  @ApiOkResponse({ type: PacsEndpointResponseDto })
  update(@Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdatePacsEndpointDto): Promise<PacsEndpointResponseDto> {
    return this.service.update(id, dto);
  }

  @Delete(':id')
  @Roles('admin')
  @Audited('pacs-endpoint.delete', 'pacs-endpoint')
  @HttpCode(204)
  @ApiNoContentResponse()
  delete(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.service.delete(id);
  }

  @Post(':id/test')
  @Roles('admin')
  @HttpCode(200)
  @ApiOkResponse({ type: PacsEndpointTestResultDto })
  test(@Param('id', ParseUUIDPipe) id: string): Promise<PacsEndpointTestResultDto> {
    return this.service.test(id);
  }
}
