import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WorklistQueryDto, WorklistRowDto } from '../dtos/worklist.dto';
import { WorklistService } from '../services/worklist.service';

@ApiTags('viewer')
@Controller('api/worklist')
export class WorklistController {
  constructor(private readonly service: WorklistService) {}

  @Get()
  @ApiOperation({ summary: 'Recent jobs as a radiologist reads them: patient ID, study date, accession, description, outcome, involvement %, review status' })
  @ApiOkResponse({ type: [WorklistRowDto] })
  list(@Query() query: WorklistQueryDto): Promise<WorklistRowDto[]> {
    return this.service.list(query);
  }
}
