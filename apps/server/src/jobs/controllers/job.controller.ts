import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CreateJobDto, JobCreatedDto, JobDto, ListJobsQueryDto } from '../dtos/job.dto';
import { JobService } from '../services/job.service';
import { Audited } from '../../audit/decorators/audited.decorator';

@ApiTags('jobs')
@Controller('api/jobs')
export class JobController {
  constructor(private readonly service: JobService) {}

  @Post()
  @HttpCode(202)
  @Audited('job.create', 'job')
  @ApiAcceptedResponse({ type: JobCreatedDto })
  create(@Body() dto: CreateJobDto): Promise<JobCreatedDto> {
    return this.service.create(dto);
  }

  @Get()
  @ApiOkResponse({ type: [JobDto] })
  list(@Query() query: ListJobsQueryDto): Promise<JobDto[]> {
    return this.service.list(query.limit);
  }

  @Get(':id')
  @ApiOkResponse({ type: JobDto })
  get(@Param('id', ParseUUIDPipe) id: string): Promise<JobDto> {
    return this.service.get(id);
  }

  @Post(':id/cancel')
  @Audited('job.cancel', 'job')
  @HttpCode(200)
  @ApiOkResponse({ type: JobDto })
  cancel(@Param('id', ParseUUIDPipe) id: string): Promise<JobDto> {
    return this.service.cancel(id);
  }
}
