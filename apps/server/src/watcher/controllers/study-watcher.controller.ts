import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put, UsePipes } from '@nestjs/common';
import { Audited } from '../../audit/decorators/audited.decorator';
import { Roles } from '../../core/decorators/auth.decorators';
import { EndpointIdParamsDto, OrthancNotificationDto, StudyWatcherDto, StudyWatcherSettingsDto } from '../dtos/study-watcher.dto';
import { StudyWatcherSettingsService } from '../services/study-watcher-settings.service';
import { PollSummary } from '../services/study-watcher.service';
import { strictValidation } from '../../core/http/strict-validation';

@Controller('api/pacs-endpoints/:id/watcher')
@UsePipes(strictValidation)
export class StudyWatcherController {
  constructor(@Inject(StudyWatcherSettingsService) private readonly settings: StudyWatcherSettingsService) {}

  @Get()
  get(@Param() params: EndpointIdParamsDto): Promise<StudyWatcherDto> {
    return this.settings.get(params.id);
  }

  @Put()
  @Roles('admin')
  @Audited('watcher.update', 'pacs-endpoint')
  put(@Param() params: EndpointIdParamsDto, @Body() dto: StudyWatcherSettingsDto): Promise<StudyWatcherDto> {
    return this.settings.put(params.id, dto);
  }

  @Post('poll')
  @Roles('admin')
  @HttpCode(200)
  poll(@Param() params: EndpointIdParamsDto): Promise<PollSummary> {
    return this.settings.poll(params.id);
  }
}

/**
 * `POST /api/notifications/orthanc`: Orthanc's `OnStableStudy` Lua callback tells us a study is
 * complete; we answer 202 at once and then check that study (any date, so late priors are caught) and
 * queue it once, or poll the endpoint when no study is named. Needs a
 * token like any route (the Lua script sends `Authorization: Bearer <user token>`).
 */
@Controller('api/notifications')
@UsePipes(strictValidation)
export class NotificationController {
  constructor(@Inject(StudyWatcherSettingsService) private readonly settings: StudyWatcherSettingsService) {}

  @Post('orthanc')
  @HttpCode(202)
  orthanc(@Body() dto: OrthancNotificationDto): Promise<{ accepted: true }> {
    return this.settings.notify(dto.pacsEndpointId, dto.StudyInstanceUID);
  }
}
