import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SeriesQueryDto, SeriesSummaryDto, StudySearchQueryDto, StudySummaryDto } from '../dtos/study.dto';
import { StudyBrowserService } from '../services/study-browser.service';

@ApiTags('viewer')
@Controller('api')
export class StudyBrowserController {
  constructor(private readonly service: StudyBrowserService) {}

  @Get('studies')
  @ApiOperation({ summary: 'Search studies on a PACS endpoint (QIDO-RS) with each study’s segmentation status' })
  @ApiOkResponse({ type: [StudySummaryDto] })
  searchStudies(@Query() query: StudySearchQueryDto): Promise<StudySummaryDto[]> {
    return this.service.searchStudies(query);
  }

  @Get('series')
  @ApiOperation({ summary: 'List the series of a study on a PACS endpoint (QIDO-RS)' })
  @ApiOkResponse({ type: [SeriesSummaryDto] })
  listSeries(@Query() query: SeriesQueryDto): Promise<SeriesSummaryDto[]> {
    return this.service.listSeries(query);
  }
}
