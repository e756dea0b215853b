import { Injectable } from '@nestjs/common';
import { getJsonString } from '@covseg/dicom';
import { AuditService } from '../../audit/services/audit.service';
import { actorOf, type Principal } from '../../core/principal';
import { ReviewDto, SetReviewDto } from '../dtos/review.dto';
import { ResultReview, ResultReviewRepository } from '../repositories/result-review.repository';
import { PacsGateway } from '../../pacs/repositories/pacs.gateway';
import { ResultNotFoundError } from '../review.errors';
import { reviewerOf } from './correction.service';

/** What a study list shows for a study's results: unreviewed AI output, reviewed (accepted or corrected), or rejected. */
export type StudyReviewStatus = 'ai' | 'reviewed' | 'rejected';

/**
 * Accept and reject: a review status per result (a SEG on a PACS). A rejected SEG stays on the PACS and
 * is only marked in our records; the overlays API then tells the viewer to hide it by default.
 */
@Injectable()
export class ReviewService {
  constructor(
    private readonly reviews: ResultReviewRepository,
    private readonly pacs: PacsGateway,
    private readonly audit: AuditService,
  ) {}

  async setStatus(principal: Principal, dto: SetReviewDto): Promise<ReviewDto> {
    // Only results that exist and segment this series can be reviewed; a typo must not create a phantom row.
    const instances = await (await this.pacs.client(dto.endpointId, 'review')).retrieveSeriesMetadata(dto.study, dto.segSeriesInstanceUID);
    const instance = instances.find((d) => getJsonString(d, 'SOPInstanceUID') === dto.segSopInstanceUID);
    if (!instance || getJsonString(instance, 'Modality') !== 'SEG') throw new ResultNotFoundError(`SEG ${dto.segSopInstanceUID} is not in series ${dto.segSeriesInstanceUID} on endpoint ${dto.endpointId}`);
    const reviewer = reviewerOf(principal);
    const review = await this.reviews.upsert({
      pacsEndpointId: dto.endpointId,
      segSopInstanceUID: dto.segSopInstanceUID,
      segSeriesInstanceUID: dto.segSeriesInstanceUID,
      studyInstanceUID: dto.study,
      sourceSeriesInstanceUID: dto.series,
      status: dto.status,
      correctionId: null,
      actor: actorOf(principal),
      reviewer,
    });
    await this.audit.record(actorOf(principal), `result.${dto.status === 'accepted' ? 'accept' : 'reject'}`, `seg:${dto.segSopInstanceUID}`, {
      reviewer,
      pacsEndpointId: dto.endpointId,
      studyInstanceUID: dto.study,
      seriesInstanceUID: dto.series,
    });
    return toReviewDto(review);
  }

  async list(endpointId: string, study: string): Promise<ReviewDto[]> {
    return (await this.reviews.list(endpointId, study)).map(toReviewDto);
  }

  /** Review status of one result; undefined when nobody reviewed it. */
  statusOf(endpointId: string, segSopInstanceUID: string): Promise<ResultReview | undefined> {
    return this.reviews.get(endpointId, segSopInstanceUID);
  }

  /**
   * Per study of an endpoint, its newest review decision folded into what a study list shows.
   * Studies without any review are absent (their results, if any, are unreviewed AI output).
   */
  async studyStatuses(endpointId: string): Promise<Map<string, StudyReviewStatus>> {
    const statuses = new Map<string, StudyReviewStatus>();
    for (const review of await this.reviews.list(endpointId)) {
      if (statuses.has(review.studyInstanceUID)) continue;
      statuses.set(review.studyInstanceUID, review.status === 'rejected' ? 'rejected' : 'reviewed');
    }
    return statuses;
  }
}

function toReviewDto(review: ResultReview): ReviewDto {
  return {
    segSopInstanceUID: review.segSopInstanceUID,
    segSeriesInstanceUID: review.segSeriesInstanceUID,
    studyInstanceUID: review.studyInstanceUID,
    sourceSeriesInstanceUID: review.sourceSeriesInstanceUID,
    status: review.status,
    correctionId: review.correctionId,
    reviewer: review.reviewer,
    updatedAt: review.updatedAt,
  };
}
