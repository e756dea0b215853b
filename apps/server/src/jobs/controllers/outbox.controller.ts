import { Controller, Get, HttpCode, Param, Post, Query, UsePipes } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audited } from '../../audit/decorators/audited.decorator';
import { Roles } from '../../core/decorators/auth.decorators';
import { strictValidation } from '../../core/http/strict-validation';
import { ListOutboxQueryDto, OutboxEntryDto, OutboxIdParamsDto } from '../dtos/outbox.dto';
import { OutboxService } from '../services/outbox.service';

/** The result outbox, for admins: what waits, what was delivered, what failed and why; re-delivery of a failed entry. */
@ApiTags('outbox')
@Controller('api/outbox')
@UsePipes(strictValidation)
@Roles('admin')
export class OutboxController {
  constructor(private readonly service: OutboxService) {}

  @Get()
  @ApiOperation({ summary: 'Outbox entries, newest first (admin)' })
  @ApiOkResponse({ type: [OutboxEntryDto] })
  list(@Query() query: ListOutboxQueryDto): Promise<OutboxEntryDto[]> {
    return this.service.list(query);
  }

  @Post(':id/redeliver')
  @HttpCode(202)
  @Audited('outbox.redeliver', 'outbox')
  @ApiOperation({ summary: 'Deliver a failed entry again from its stored payload (admin); 409 when it is not failed or its payload is gone' })
  @ApiAcceptedResponse({ type: OutboxEntryDto })
  redeliver(@Param() params: OutboxIdParamsDto): Promise<OutboxEntryDto> {
    return this.service.redeliver(params.id);
  }
}
