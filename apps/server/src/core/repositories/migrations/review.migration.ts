/**
 * The review module's tables, appended to the server's MIGRATIONS. Never edit once shipped.
 * - corrections: every corrected SEG a reviewer saved, keyed by the SEG it corrects and the SHA-256 of
 *   the corrected labelmaps, so saving the same edit twice finds the first save (idempotency). The SEG
 *   file is kept under DATA_DIR/corrections before STOW-RS, so a failed store is retried with the same bytes.
 * - result_reviews: the review status of each result (a SEG on a PACS): accepted, rejected or corrected.
 *   A rejected SEG stays on the PACS; only this row marks it.
 */
export const REVIEW_MIGRATION = `
  CREATE TABLE corrections (
    id TEXT PRIMARY KEY,
    pacs_endpoint_id TEXT NOT NULL REFERENCES pacs_endpoints(id) ON DELETE RESTRICT,
    study_instance_uid TEXT NOT NULL,
    source_series_instance_uid TEXT NOT NULL,
    derived_from_series_instance_uid TEXT NOT NULL,
    derived_from_sop_instance_uid TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    seg_series_instance_uid TEXT NOT NULL,
    seg_sop_instance_uid TEXT NOT NULL,
    file_path TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered')),
    actor TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    changed_voxels INTEGER NOT NULL,
    quantification TEXT NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT
  );
  CREATE UNIQUE INDEX corrections_content ON corrections(pacs_endpoint_id, derived_from_sop_instance_uid, content_sha256);
  CREATE INDEX corrections_series ON corrections(pacs_endpoint_id, source_series_instance_uid, created_at);
  CREATE TABLE result_reviews (
    pacs_endpoint_id TEXT NOT NULL REFERENCES pacs_endpoints(id) ON DELETE CASCADE,
    seg_sop_instance_uid TEXT NOT NULL,
    seg_series_instance_uid TEXT NOT NULL,
    study_instance_uid TEXT NOT NULL,
    source_series_instance_uid TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected', 'corrected')),
    correction_id TEXT REFERENCES corrections(id),
    actor TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (pacs_endpoint_id, seg_sop_instance_uid)
  );
  CREATE INDEX result_reviews_study ON result_reviews(pacs_endpoint_id, study_instance_uid);
`;
