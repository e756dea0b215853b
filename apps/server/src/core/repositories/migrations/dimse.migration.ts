/**
 * Schema of DIMSE support (appended to MIGRATIONS; never edit once shipped):
 * - per PACS endpoint, its DICOM application entity (AE title, host, port) and how results go back
 *   to it (`stow` or `c-store`);
 * - per job, where its pixels come from (`dicomweb`: QIDO/WADO from the endpoint; `dimse`: instances
 *   the endpoint pushed to our C-STORE SCP, read from DATA_DIR/dimse);
 * - received series, durable, so a restart neither loses a series that was arriving nor queues it twice.
 * A PACS without DICOMweb stores base_url '' (the column is NOT NULL since migration 1).
 */
export const DIMSE_MIGRATION = `
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
    bytes INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('receiving', 'queued', 'done')),
    job_id TEXT,
    first_received_at TEXT NOT NULL,
    last_received_at TEXT NOT NULL,
    PRIMARY KEY (pacs_endpoint_id, series_instance_uid)
  );
  CREATE INDEX dimse_series_status ON dimse_series(status, last_received_at);
`;
