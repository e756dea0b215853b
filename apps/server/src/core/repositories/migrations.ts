import { DIMSE_MIGRATION } from './migrations/dimse.migration';
import { REVIEW_MIGRATION } from './migrations/review.migration';
import { TRUST_MIGRATION, TRUST_REVIEWER_ROLE_MIGRATION } from './migrations/trust.migration';

/**
 * Versioned schema migrations. Entry i brings the schema to version i + 1 (`PRAGMA user_version`).
 * Never edit a migration that has shipped; append a new one, or existing databases diverge.
 * Teammates' modules append their own tables here too (one entry each).
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE pacs_endpoints (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    base_url TEXT NOT NULL,
    auth_type TEXT NOT NULL CHECK (auth_type IN ('none', 'basic', 'bearer')),
    username TEXT,
    sealed_secret TEXT,
    timeout_ms INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    pacs_endpoint_id TEXT NOT NULL REFERENCES pacs_endpoints(id) ON DELETE RESTRICT,
    study_instance_uid TEXT NOT NULL,
    requested_series_instance_uid TEXT,
    series_instance_uid TEXT,
    force INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    stage TEXT,
    slices_done INTEGER NOT NULL DEFAULT 0,
    slices_total INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    model_name TEXT,
    model_version TEXT,
    series_selection TEXT,
    timings TEXT NOT NULL DEFAULT '{}',
    result TEXT,
    error_code TEXT,
    error_message TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
  );
  CREATE INDEX jobs_status ON jobs(status, created_at);
  CREATE TABLE seg_outbox (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs(id),
    pacs_endpoint_id TEXT NOT NULL,
    study_instance_uid TEXT NOT NULL,
    source_series_instance_uid TEXT NOT NULL,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    seg_series_instance_uid TEXT NOT NULL,
    seg_sop_instance_uid TEXT NOT NULL,
    file_path TEXT NOT NULL,
    byte_length INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered')),
    result TEXT NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT
  );
  CREATE UNIQUE INDEX seg_outbox_job ON seg_outbox(job_id);
  CREATE INDEX seg_outbox_series ON seg_outbox(pacs_endpoint_id, source_series_instance_uid, model_name, model_version);
  `,
  // 2: the trust module's tables (tokens, login links, audit log, study watcher state).
  TRUST_MIGRATION,
  // 3: disabling an endpoint (it stays for its job history, leaves health reports and takes no new jobs).
  `ALTER TABLE pacs_endpoints ADD COLUMN disabled_at TEXT;`,
  // 4: outbox retention and retries. SQLite cannot change a CHECK constraint, so the table is rebuilt
  // with a 'failed' status, delivery attempts, the last failure, the next attempt and when the payload
  // file was deleted (its row stays: idempotency reads the delivered result, not the bytes).
  `
  CREATE TABLE seg_outbox_v4 (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs(id),
    pacs_endpoint_id TEXT NOT NULL,
    study_instance_uid TEXT NOT NULL,
    source_series_instance_uid TEXT NOT NULL,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    seg_series_instance_uid TEXT NOT NULL,
    seg_sop_instance_uid TEXT NOT NULL,
    file_path TEXT NOT NULL,
    byte_length INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    result TEXT NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at TEXT,
    failed_at TEXT,
    payload_deleted_at TEXT
  );
  INSERT INTO seg_outbox_v4 (id, job_id, pacs_endpoint_id, study_instance_uid, source_series_instance_uid, model_name, model_version,
    seg_series_instance_uid, seg_sop_instance_uid, file_path, byte_length, status, result, created_at, delivered_at)
    SELECT id, job_id, pacs_endpoint_id, study_instance_uid, source_series_instance_uid, model_name, model_version,
      seg_series_instance_uid, seg_sop_instance_uid, file_path, byte_length, status, result, created_at, delivered_at FROM seg_outbox;
  DROP TABLE seg_outbox;
  ALTER TABLE seg_outbox_v4 RENAME TO seg_outbox;
  CREATE UNIQUE INDEX seg_outbox_job ON seg_outbox(job_id);
  CREATE INDEX seg_outbox_series ON seg_outbox(pacs_endpoint_id, source_series_instance_uid, model_name, model_version);
  CREATE INDEX seg_outbox_status ON seg_outbox(status, next_attempt_at);
  `,
  // 5: DIMSE (endpoint AE, result transport, job source, received series).
  DIMSE_MIGRATION,
  // 6: the reviewer role (trust module).
  TRUST_REVIEWER_ROLE_MIGRATION,
  // 7: corrections and review statuses (review module).
  REVIEW_MIGRATION,
  // 8: an outbox entry is one result: the SEG (file_path) plus the SR and key images, delivered together;
  // endpoints may ask for Secondary Capture key images.
  `
  ALTER TABLE seg_outbox ADD COLUMN extra_file_paths TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE seg_outbox ADD COLUMN sr_sop_instance_uid TEXT;
  ALTER TABLE pacs_endpoints ADD COLUMN key_images INTEGER NOT NULL DEFAULT 0;
  `,
];
