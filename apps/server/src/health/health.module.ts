import { Module } from '@nestjs/common';
import { DimseModule } from '../dimse/dimse.module';
import { JobsModule } from '../jobs/jobs.module';
import { ModelModule } from '../model/model.module';
import { PacsModule } from '../pacs/pacs.module';
import { HealthController } from './controllers/health.controller';
import { HealthService } from './services/health.service';

/** `GET /api/health`: PACS reachability, the model, the job queue and the DICOM listener. */
@Module({
  imports: [PacsModule, JobsModule, ModelModule, DimseModule],
  controllers: [HealthController],
  providers: [HealthService],
})
export class HealthModule {}
