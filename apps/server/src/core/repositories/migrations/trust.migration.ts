/**
 * The trust module's tables, appended to the server's MIGRATIONS (one entry, like every module's).
 * Never edit this once shipped: add a new migration.
 * - Tokens and login codes are stored as SHA-256 hashes only (TokenService explains why that suffices).
 * - audit_log is append-only by convention: no repository method updates or deletes it.
 * - study_watchers/study_watcher_seen persist the watcher's watermark and seen-UID set, so a restart
 *   never queues a study twice.
 */
export const TRUST_MIGRATION = `
  CREATE TABLE auth_tokens (
    id TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'user')),
    label TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
  );
  CREATE TABLE login_links (
    code_sha256 TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('admin', 'user')),
    next TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
  );
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
`;

/**
 * Adds the `reviewer` role (radiologists who may save corrections, accept and reject results). SQLite
 * cannot change a CHECK constraint in place, so both tables are rebuilt with their rows.
 */
export const TRUST_REVIEWER_ROLE_MIGRATION = `
  CREATE TABLE auth_tokens_v2 (
    id TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'reviewer', 'user')),
    label TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
  );
  INSERT INTO auth_tokens_v2 SELECT id, token_sha256, role, label, created_by, created_at, expires_at, revoked_at FROM auth_tokens;
  DROP TABLE auth_tokens;
  ALTER TABLE auth_tokens_v2 RENAME TO auth_tokens;
  CREATE TABLE login_links_v2 (
    code_sha256 TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('admin', 'reviewer', 'user')),
    next TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
  );
  INSERT INTO login_links_v2 SELECT code_sha256, role, next, created_by, created_at, expires_at, used_at FROM login_links;
  DROP TABLE login_links;
  ALTER TABLE login_links_v2 RENAME TO login_links;
`;
