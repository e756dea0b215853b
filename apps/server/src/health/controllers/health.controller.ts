import { Controller, Get, Req } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { HealthDto, PublicHealthDto } from '../dtos/health.dto';
import { HealthService } from '../services/health.service';
import { Public } from '../../core/decorators/auth.decorators';
import type { Principal } from '../../core/principal';

@ApiTags('health')
@ApiExtraModels(PublicHealthDto, HealthDto)
@Controller('api/health')
export class HealthController {
  constructor(private readonly service: HealthService) {}

  /**
   * Anyone: the status only. With an admin token: PACS reachability per endpoint (from the background
   * probes, with their age), the model, the job queue and the DICOM listener. Never waits for a PACS.
   */
  @Get()
  @Public()
  @ApiOkResponse({ schema: { oneOf: [{ $ref: getSchemaPath(PublicHealthDto) }, { $ref: getSchemaPath(HealthDto) }] } })
  getHealth(@Req() request: { principal?: Principal }): Promise<PublicHealthDto | HealthDto> {
    return this.service.getHealth(request.principal);
  }
}
