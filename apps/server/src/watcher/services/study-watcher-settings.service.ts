import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { PacsEndpointService } from '../../pacs/services/pacs-endpoint.service';
import { StudyWatcherDto, StudyWatcherSettingsDto } from '../dtos/study-watcher.dto';
import { StudyWatcherRepository } from '../repositories/study-watcher.repository';
import { PollSummary, StudyWatcherService } from './study-watcher.service';

/** Reads and changes an endpoint's watcher settings; triggers polls (admin action or PACS notification). */
@Injectable()
export class StudyWatcherSettingsService {
  constructor(
    @Inject(StudyWatcherRepository) private readonly watchers: StudyWatcherRepository,
    @Inject(PacsEndpointService) private readonly endpoints: PacsEndpointService,
    @Inject(StudyWatcherService) private readonly watcher: StudyWatcherService,
  ) {}

  async get(pacsEndpointId: string): Promise<StudyWatcherDto> {
    await this.endpoints.getRecordOrFail(pacsEndpointId);
    const record = await this.watchers.get(pacsEndpointId);
    return {
      pacsEndpointId,
      enabled: record?.enabled ?? false,
      modalities: record?.modalities ?? ['CT'],
      bodyPartExamined: record?.bodyPart ?? null,
      pollSeconds: record?.pollSeconds ?? 60,
      processExisting: record?.processExisting ?? false,
      watermarkStudyDate: record?.watermarkStudyDate ?? null,
      lastPollAt: record?.lastPollAt ?? null,
      lastError: record?.lastError ?? null,
      seen: await this.watchers.listSeen(pacsEndpointId),
    };
  }

  async put(pacsEndpointId: string, dto: StudyWatcherSettingsDto): Promise<StudyWatcherDto> {
    await this.endpoints.getRecordOrFail(pacsEndpointId);
    await this.watchers.upsert(
      {
        pacsEndpointId,
        enabled: dto.enabled,
        modalities: dto.modalities ?? ['CT'],
        bodyPart: dto.bodyPartExamined ?? null,
        pollSeconds: dto.pollSeconds ?? 60,
        processExisting: dto.processExisting ?? false,
      },
      new Date().toISOString(),
    );
    return this.get(pacsEndpointId);
  }

  /** Polls now; refused when the endpoint's watcher is off (a notification must not bypass opt-in). */
  async poll(pacsEndpointId: string): Promise<PollSummary> {
    await this.requireEnabled(pacsEndpointId);
    return this.watcher.pollNow(pacsEndpointId);
  }

  /**
   * A PACS notification: the named study is checked directly (whatever its date), else a poll runs.
   * Checked for opt-in now, processed in the background: Orthanc's Lua `HttpPost` blocks its Lua engine
   * until we answer, and our QIDO back to Orthanc would wait on that same engine (a deadlock until the
   * timeout). Failures land on the watcher row (`lastError`) and in metrics, as for polls.
   */
  async notify(pacsEndpointId: string, studyInstanceUID: string | undefined): Promise<{ accepted: true }> {
    await this.requireEnabled(pacsEndpointId);
    const work = studyInstanceUID ? this.watcher.notifyStudy(pacsEndpointId, studyInstanceUID) : this.watcher.pollNow(pacsEndpointId);
    work.catch(() => undefined); // recorded by the watcher service; nobody is waiting for it
    return { accepted: true };
  }

  private async requireEnabled(pacsEndpointId: string): Promise<void> {
    await this.endpoints.getRecordOrFail(pacsEndpointId);
    if (!(await this.watchers.get(pacsEndpointId))?.enabled) {
      throw new BadRequestException(`Processing a notification for PACS endpoint ${pacsEndpointId} failed: its study watcher is not enabled`);
    }
  }
}
