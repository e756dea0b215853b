/**
 * The PostgreSQL schema as versioned migrations. Entries 1-8 replay the SQLite schema versions 1-8
 * (repositories/migrations.ts and the modules' migrations) so that both engines hold the same tables,
 * columns and constraints, and the repositories' SQL runs on both:
 * - flags stay INTEGER 0/1 and timestamps ISO 8601 TEXT, as in SQLite (sql-database.ts says why);
 * - byte counts are BIGINT; `rowid` is an identity column where SQLite's implicit rowid orders rows;
 * - Postgres can change a CHECK constraint in place, so SQLite's table rebuilds (4, 6) are ALTERs here.
 * Entry 9 is Postgres-only: outbox payloads live in the database (no disk shared between processes).
 * Never edit an entry that has shipped: append one, to this list and, when SQLite needs it too, to
 * repositories/migrations.ts.
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  // 1: endpoints, jobs, the SEG outbox.
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
    rowid BIGINT GENERATED ALWAYS AS IDENTITY,
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
    byte_length BIGINT NOT NULL,
    status TEXT NOT NULL CONSTRAINT seg_outbox_status_check CHECK (status IN ('pending', 'delivered')),
    result TEXT NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT
  );
  CREATE UNIQUE INDEX seg_outbox_job ON seg_outbox(job_id);
  CREATE INDEX seg_outbox_series ON seg_outbox(pacs_endpoint_id, source_series_instance_uid, model_name, model_version);
  `,
  // 2: the trust module's tables (tokens, login links, audit log, study watcher state).
  `
  CREATE TABLE auth_tokens (
    id TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CONSTRAINT auth_tokens_role_check CHECK (role IN ('admin', 'user')),
    label TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
  );
  CREATE TABLE login_links (
    code_sha256 TEXT PRIMARY KEY,
    role TEXT NOT NULL CONSTRAINT login_links_role_check CHECK (role IN ('admin', 'user')),
    next TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
  );
  CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    details TEXT NOT NULL
  );
  CREATE TABLE study_watchers (
    pacs_endpoint_id TEXT PRIMARY KEY REFERENCES pacs_endpoints(id) ON DELETE CASCADE,
    enabled INTEGER NOT NULL,
    modalities TEXT NOT NULL,
    body_part TEXT,
    poll_seconds INTEGER NOT NULL,
    process_existing INTEGER NOT NULL,
    watermark_study_date TEXT,
    baseline_done INTEGER NOT NULL DEFAULT 0,
    last_poll_at TEXT,
    last_error TEXT,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE study_watcher_seen (
    pacs_endpoint_id TEXT NOT NULL REFERENCES pacs_endpoints(id) ON DELETE CASCADE,
    study_instance_uid TEXT NOT NULL,
    study_date TEXT,
    job_id TEXT,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (pacs_endpoint_id, study_instance_uid)
  );
  `,
  // 3: disabling an endpoint.
  `ALTER TABLE pacs_endpoints ADD COLUMN disabled_at TEXT;`,
  // 4: outbox retention and retries (SQLite rebuilds the table for its CHECK; Postgres alters it).
  `
  ALTER TABLE seg_outbox DROP CONSTRAINT seg_outbox_status_check;
  ALTER TABLE seg_outbox ADD CONSTRAINT seg_outbox_status_check CHECK (status IN ('pending', 'delivered', 'failed'));
  ALTER TABLE seg_outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE seg_outbox ADD COLUMN last_error TEXT;
  ALTER TABLE seg_outbox ADD COLUMN next_attempt_at TEXT;
  ALTER TABLE seg_outbox ADD COLUMN failed_at TEXT;
  ALTER TABLE seg_outbox ADD COLUMN payload_deleted_at TEXT;
  CREATE INDEX seg_outbox_status ON seg_outbox(status, next_attempt_at);
  `,
  // 5: DIMSE (endpoint AE, result transport, job source, received series).
  `
  ALTER TABLE pacs_endpoints ADD COLUMN dicom_ae_title TEXT;
  ALTER TABLE pacs_endpoints ADD COLUMN dicom_host TEXT;
  ALTER TABLE pacs_endpoints ADD COLUMN dicom_port INTEGER;
  ALTER TABLE pacs_endpoints ADD COLUMN result_transport TEXT NOT NULL DEFAULT 'stow' CHECK (result_transport IN ('stow', 'c-store'));
  CREATE UNIQUE INDEX pacs_endpoints_dicom_ae_title ON pacs_endpoints(dicom_ae_title) WHERE dicom_ae_title IS NOT NULL;
  ALTER TABLE jobs ADD COLUMN source TEXT NOT NULL DEFAULT 'dicomweb' CHECK (source IN ('dicomweb', 'dimse'));
  CREATE TABLE dimse_series (
    pacs_endpoint_id TEXT NOT NULL,
    study_instance_uid TEXT NOT NULL,
    series_instance_uid TEXT NOT NULL,
    calling_ae_title TEXT NOT NULL,
    instances INTEGER NOT NULL DEFAULT 0,
    bytes BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('receiving', 'queued', 'done')),
    job_id TEXT,
    first_received_at TEXT NOT NULL,
    last_received_at TEXT NOT NULL,
    PRIMARY KEY (pacs_endpoint_id, series_instance_uid)
  );
  CREATE INDEX dimse_series_status ON dimse_series(status, last_received_at);
  `,
  // 6: the reviewer role.
  `
  ALTER TABLE auth_tokens DROP CONSTRAINT auth_tokens_role_check;
  ALTER TABLE auth_tokens ADD CONSTRAINT auth_tokens_role_check CHECK (role IN ('admin', 'reviewer', 'user'));
  ALTER TABLE login_links DROP CONSTRAINT login_links_role_check;
  ALTER TABLE login_links ADD CONSTRAINT login_links_role_check CHECK (role IN ('admin', 'reviewer', 'user'));
  `,
  // 7: corrections and review statuses (review module).
  `
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
  `,
  // 8: an outbox entry is one result (SEG + SR + key images); endpoints may ask for key images.
  `
  ALTER TABLE seg_outbox ADD COLUMN extra_file_paths TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE seg_outbox ADD COLUMN sr_sop_instance_uid TEXT;
  ALTER TABLE pacs_endpoints ADD COLUMN key_images INTEGER NOT NULL DEFAULT 0;
  `,
  // 9 (Postgres only): the outbox's payloads (SEG, key images, SR bytes) in the database, in delivery
  // order, written in the same transaction as their seg_outbox row. Deleted with their retention.
  `
  CREATE TABLE outbox_payloads (
    outbox_id TEXT NOT NULL REFERENCES seg_outbox(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    sop_instance_uid TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (outbox_id, position)
  );
  `,
  // 10 (Postgres only): a reader correction's SEG in the database, written with its corrections row, so
  // any API process can resend a pending one or export it (no disk is shared between processes); and the
  // instances our C-STORE SCP received, so a worker on any host can segment a pushed series.
  `
  CREATE TABLE correction_payloads (
    correction_id TEXT PRIMARY KEY REFERENCES corrections(id) ON DELETE CASCADE,
    bytes BYTEA NOT NULL
  );
  CREATE TABLE dimse_instances (
    pacs_endpoint_id TEXT NOT NULL,
    series_instance_uid TEXT NOT NULL,
    sop_instance_uid TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (pacs_endpoint_id, series_instance_uid, sop_instance_uid),
    FOREIGN KEY (pacs_endpoint_id, series_instance_uid) REFERENCES dimse_series(pacs_endpoint_id, series_instance_uid) ON DELETE CASCADE
  );
  `,
];
