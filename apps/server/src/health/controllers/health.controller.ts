import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { HealthDto } from '../dtos/health.dto';
import { HealthService } from '../services/health.service';
import { Public } from '../../core/decorators/auth.decorators';

@ApiTags('health')
@Controller('api/health')
export class HealthController {
  constructor(private readonly service: HealthService) {}

  /** Unauthenticated: PACS reachability per endpoint and the loaded model. */
  @Get()
  @Public()
  @ApiOkResponse({ type: HealthDto })
  getHealth(): Promise<HealthDto> {
    return this.service.getHealth();
  }
}
