import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { JobsModule } from '../jobs/jobs.module';
import { MetricsModule } from '../metrics/metrics.module';
import { PacsModule } from '../pacs/pacs.module';
import { NotificationController, StudyWatcherController } from './controllers/study-watcher.controller';
import { StudyWatcherRepository } from './repositories/study-watcher.repository';
import { StudyWatcherSettingsService } from './services/study-watcher-settings.service';
import { StudyWatcherService } from './services/study-watcher.service';

/** Automatic processing: per-endpoint study watchers (QIDO polling and PACS notifications) that create jobs. */
@Module({
  imports: [PacsModule, JobsModule, MetricsModule, AuditModule],
  controllers: [StudyWatcherController, NotificationController],
  providers: [StudyWatcherRepository, StudyWatcherService, StudyWatcherSettingsService],
})
export class WatcherModule {}
