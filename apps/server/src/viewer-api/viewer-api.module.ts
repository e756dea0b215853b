import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../core/repositories/config.repository';
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
import { performance } from 'node:perf_hooks';
import { ProxyAnswerCache, RecentAnswerCache } from './services/proxy-answer-cache';
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
    // One per process: the proxy's memory of whole instance answers, bounded by PROXY_CACHE_MB.
    { provide: ProxyAnswerCache, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new ProxyAnswerCache(config.proxyCacheBytes) },
    // And its short memory of QIDO and metadata answers (PROXY_RECENT_ANSWER_MS, PROXY_RECENT_ANSWER_MB).
    {
      provide: RecentAnswerCache,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new RecentAnswerCache(config.proxyRecentAnswerMs > 0 ? config.proxyRecentAnswerBytes : 0, config.proxyRecentAnswerBytes / 4, config.proxyRecentAnswerMs, () => performance.now()),
    },
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
