import { Injectable } from '@nestjs/common';
import { SqlDatabase } from '../../core/database/sql-database';

export type ReviewStatus = 'accepted' | 'rejected' | 'corrected';

/** The review status of one result (a SEG on a PACS). A result without a row is unreviewed AI output. */
export interface ResultReview {
  pacsEndpointId: string;
  segSopInstanceUID: string;
  segSeriesInstanceUID: string;
  studyInstanceUID: string;
  sourceSeriesInstanceUID: string;
  status: ReviewStatus;
  correctionId: string | null;
  actor: string;
  reviewer: string;
  updatedAt: string;
}

interface Row {
  pacs_endpoint_id: string;
  seg_sop_instance_uid: string;
  seg_series_instance_uid: string;
  study_instance_uid: string;
  source_series_instance_uid: string;
  status: ReviewStatus;
  correction_id: string | null;
  actor: string;
  reviewer: string;
  updated_at: string;
}

const toReview = (row: Row): ResultReview => ({
  pacsEndpointId: row.pacs_endpoint_id,
  segSopInstanceUID: row.seg_sop_instance_uid,
  segSeriesInstanceUID: row.seg_series_instance_uid,
  studyInstanceUID: row.study_instance_uid,
  sourceSeriesInstanceUID: row.source_series_instance_uid,
  status: row.status,
  correctionId: row.correction_id,
  actor: row.actor,
  reviewer: row.reviewer,
  updatedAt: row.updated_at,
});

/** Review statuses: one row per result, replaced by each new decision (the audit log keeps the history). */
@Injectable()
export class ResultReviewRepository {
  constructor(private readonly db: SqlDatabase) {}

  async upsert(review: Omit<ResultReview, 'updatedAt'>, now = new Date()): Promise<ResultReview> {
    await this.db.run(
      `INSERT INTO result_reviews (pacs_endpoint_id, seg_sop_instance_uid, seg_series_instance_uid, study_instance_uid, source_series_instance_uid,
         status, correction_id, actor, reviewer, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (pacs_endpoint_id, seg_sop_instance_uid) DO UPDATE SET status = excluded.status, correction_id = excluded.correction_id,
         actor = excluded.actor, reviewer = excluded.reviewer, updated_at = excluded.updated_at`,
      [
        review.pacsEndpointId,
        review.segSopInstanceUID,
        review.segSeriesInstanceUID,
        review.studyInstanceUID,
        review.sourceSeriesInstanceUID,
        review.status,
        review.correctionId,
        review.actor,
        review.reviewer,
        now.toISOString(),
      ],
    );
    return (await this.get(review.pacsEndpointId, review.segSopInstanceUID))!;
  }

  async get(pacsEndpointId: string, segSopInstanceUID: string): Promise<ResultReview | undefined> {
    const row = await this.db.one<Row>('SELECT * FROM result_reviews WHERE pacs_endpoint_id = ? AND seg_sop_instance_uid = ?', [pacsEndpointId, segSopInstanceUID]);
    return row && toReview(row);
  }

  /** Reviews on one endpoint, optionally of one study, newest first. */
  async list(pacsEndpointId: string, studyInstanceUID?: string): Promise<ResultReview[]> {
    const rows = studyInstanceUID
      ? await this.db.all<Row>('SELECT * FROM result_reviews WHERE pacs_endpoint_id = ? AND study_instance_uid = ? ORDER BY updated_at DESC', [pacsEndpointId, studyInstanceUID])
      : await this.db.all<Row>('SELECT * FROM result_reviews WHERE pacs_endpoint_id = ? ORDER BY updated_at DESC', [pacsEndpointId]);
    return rows.map(toReview);
  }
}
