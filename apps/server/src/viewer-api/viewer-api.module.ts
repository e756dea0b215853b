import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { MetricsModule } from '../metrics/metrics.module';
import { ModelModule } from '../model/model.module';
import { PacsModule } from '../pacs/pacs.module';
import { ReviewModule } from '../review/review.module';
import { DecodedFrameController } from './controllers/decoded-frame.controller';
import { DicomwebProxyController } from './controllers/dicomweb-proxy.controller';
import { OverlayController } from './controllers/overlay.controller';
import { SegmentImageController } from './controllers/segment-image.controller';
import { StudyBrowserController } from './controllers/study-browser.controller';
import { WorklistController } from './controllers/worklist.controller';
import { ViewerModelRepository } from './repositories/viewer-model.repository';
import { DicomSliceWorkerRepository } from './repositories/dicom-slice-worker.repository';
import { DecodedFrameService } from './services/decoded-frame.service';
import { DicomwebProxyService } from './services/dicomweb-proxy.service';
import { OverlayService } from './services/overlay.service';
import { SegmentImageService } from './services/segment-image.service';
import { StudyBrowserService } from './services/study-browser.service';
import { WorklistService } from './services/worklist.service';

/**
 * The viewer's server side: the read-only DICOMweb proxy, study search with segmentation status,
 * overlays from every SEG of a series, and the one-slice upload. Every route sits behind the auth
 * module's global guard. Job statuses come from the jobs module's exported JobRepository.
 */
@Module({
  imports: [PacsModule, JobsModule, ReviewModule, ModelModule, MetricsModule],
  controllers: [DicomwebProxyController, DecodedFrameController, StudyBrowserController, OverlayController, SegmentImageController, WorklistController],
  providers: [
    DicomwebProxyService,
    DecodedFrameService,
    StudyBrowserService,
    WorklistService,
    OverlayService,
    SegmentImageService,
    ViewerModelRepository,
    DicomSliceWorkerRepository,
  ],
})
export class ViewerApiModule {}
