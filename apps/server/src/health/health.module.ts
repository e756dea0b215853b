import { Module } from '@nestjs/common';
import { DimseModule } from '../dimse/dimse.module';
import { JobsModule } from '../jobs/jobs.module';
import { ModelModule } from '../model/model.module';
import { PacsModule } from '../pacs/pacs.module';
import { HealthController } from './controllers/health.controller';
import { HealthService } from './services/health.service';
import { PacsHealthMonitor } from './services/pacs-health-monitor.service';

/** `GET /api/health`: the status for anyone, the detail for admins; PACS reachability from background probes (PacsHealthMonitor). */
@Module({
  imports: [PacsModule, JobsModule, ModelModule, DimseModule],
  controllers: [HealthController],
  providers: [HealthService, PacsHealthMonitor],
})
export class HealthModule {}
