import { Body, Controller, Get, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '../../core/decorators/auth.decorators';
import type { Principal } from '../../core/principal';
import { ReviewDto, ReviewListQueryDto, SetReviewDto } from '../dtos/review.dto';
import { ReviewService } from '../services/review.service';

@ApiTags('review')
@Controller('api/reviews')
export class ReviewController {
  constructor(private readonly service: ReviewService) {}

  @Put()
  @Roles('reviewer')
  @ApiOperation({ summary: 'Accept or reject a result (a SEG on the PACS); reviewer or admin. A rejected SEG stays on the PACS.' })
  @ApiOkResponse({ type: ReviewDto })
  set(@CurrentPrincipal() principal: Principal, @Body() dto: SetReviewDto): Promise<ReviewDto> {
    return this.service.setStatus(principal, dto);
  }

  @Get()
  @ApiOperation({ summary: "Review statuses of a study's results" })
  @ApiOkResponse({ type: [ReviewDto] })
  list(@Query() query: ReviewListQueryDto): Promise<ReviewDto[]> {
    return this.service.list(query.endpointId, query.study);
  }
}
