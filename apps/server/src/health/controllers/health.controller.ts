import { Controller, Get, HttpStatus, Req, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
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
   * probes, with their age), the database, the model, the job queue and the DICOM listener. Never waits
   * for a PACS. 503 (`degraded`) while the database does not answer, so a load balancer takes the
   * process out of rotation; 200 otherwise, `degraded` included (the process still serves).
   */
  @Get()
  @Public()
  @ApiOkResponse({ schema: { oneOf: [{ $ref: getSchemaPath(PublicHealthDto) }, { $ref: getSchemaPath(HealthDto) }] } })
  @ApiResponse({ status: 503, description: 'The database does not answer', type: PublicHealthDto })
  async getHealth(@Req() request: { principal?: Principal }, @Res({ passthrough: true }) response: { status(code: number): unknown }): Promise<PublicHealthDto | HealthDto> {
    const report = await this.service.getHealth(request.principal);
    if (!report.serving) response.status(HttpStatus.SERVICE_UNAVAILABLE);
    return report.body;
  }
}
