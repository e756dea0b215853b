import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { PacsModule } from '../pacs/pacs.module';
import { CorrectionController } from './controllers/correction.controller';
import { ReviewController } from './controllers/review.controller';
import { CorrectionRepository } from './repositories/correction.repository';
import { ResultReviewRepository } from './repositories/result-review.repository';
import { CorrectionService } from './services/correction.service';
import { ReviewService } from './services/review.service';

/**
 * Radiologists sign off AI results: corrected SEGs saved as new series, accept and reject. Writing
 * routes need the `reviewer` role (admins have it too); `user` tokens may only read. Exports
 * ReviewService and CorrectionRepository so the viewer module can show review statuses and figures.
 */
@Module({
  imports: [PacsModule, AuditModule],
  controllers: [CorrectionController, ReviewController],
  providers: [CorrectionRepository, ResultReviewRepository, CorrectionService, ReviewService],
  exports: [ReviewService, CorrectionRepository],
})
export class ReviewModule {}
