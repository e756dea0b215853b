import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import type { InstanceIdentity } from '@covseg/dicom';
import { APP_CONFIG, AppConfig } from '../../core/repositories/config.repository';
import { SqlDatabase, SqlExecutor } from '../../core/database/sql-database';

/** A series pushed to our C-STORE SCP, as recorded durably. */
export interface ReceivedSeries {
  pacsEndpointId: string;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  callingAeTitle: string;
  instances: number;
  bytes: number;
  status: 'receiving' | 'queued' | 'done';
  jobId: string | null;
  firstReceivedAt: string;
  lastReceivedAt: string;
}

interface Row {
  pacs_endpoint_id: string;
  study_instance_uid: string;
  series_instance_uid: string;
  calling_ae_title: string;
  instances: number;
  bytes: number;
  status: ReceivedSeries['status'];
  job_id: string | null;
  first_received_at: string;
  last_received_at: string;
}

const toSeries = (row: Row): ReceivedSeries => ({
  pacsEndpointId: row.pacs_endpoint_id,
  studyInstanceUID: row.study_instance_uid,
  seriesInstanceUID: row.series_instance_uid,
  callingAeTitle: row.calling_ae_title,
  instances: row.instances,
  bytes: row.bytes,
  status: row.status,
  jobId: row.job_id,
  firstReceivedAt: row.first_received_at,
  lastReceivedAt: row.last_received_at,
});

/** Head of a file read to find its UIDs: enough for any sane header before (0020,000E). */
const HEAD_BYTES = 4 * 1024 * 1024;

/**
 * Instances pushed to our C-STORE SCP: Part 10 files under DATA_DIR/dimse/series/<endpoint>/<series>/
 * <SOP Instance UID>.dcm, and one `dimse_series` row per series. Folder and file names are UIDs that
 * readInstanceIdentity validated (digits and dots), never raw peer input. A file is fsynced and renamed
 * into place before its row is counted, so a crash never leaves a row pointing at half a file.
 */
@Injectable()
export class ReceivedStoreRepository {
  readonly tempDir: string;
  private readonly seriesRoot: string;

  constructor(
    private readonly db: SqlDatabase,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const root = config.dicom?.storeDir ?? join(config.dataDir, 'dimse');
    this.tempDir = join(root, 'incoming');
    this.seriesRoot = join(root, 'series');
  }

  /** Creates the folders and deletes temporary files a dead process left behind. */
  prepare(): void {
    rmSync(this.tempDir, { recursive: true, force: true });
    mkdirSync(this.tempDir, { recursive: true, mode: 0o700 });
    mkdirSync(this.seriesRoot, { recursive: true, mode: 0o700 });
  }

  /** The first bytes of a received file, to read its UIDs from. */
  readHead(path: string): Uint8Array {
    const fd = openSync(path, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(statSync(path).size, HEAD_BYTES));
      const read = readSync(fd, buffer, 0, buffer.length, 0);
      return buffer.subarray(0, read);
    } finally {
      closeSync(fd);
    }
  }

  /** Bytes held for series not yet released (the DICOM_STORE_MAX_GB budget). */
  async usedBytes(): Promise<number> {
    const row = await this.db.one<{ total: number | string }>(`SELECT COALESCE(SUM(bytes), 0) AS total FROM dimse_series WHERE status != 'done'`);
    // Postgres sums BIGINT as NUMERIC (a string); SQLite as an integer.
    return Number(row!.total);
  }

  /**
   * Moves a complete received file into the store and counts it. A SOP Instance received again replaces
   * the earlier file (PS3.4 B.2.2: the SCP may keep either; the newest is what the sender means now).
   * A series that was done starts receiving again (it is queued again once stable).
   */
  async add(pacsEndpointId: string, callingAeTitle: string, identity: InstanceIdentity, tempPath: string): Promise<ReceivedSeries> {
    const folder = this.seriesFolder(pacsEndpointId, identity.seriesInstanceUID);
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const target = join(folder, `${identity.sopInstanceUID}.dcm`);
    const previousBytes = existsSync(target) ? statSync(target).size : undefined;
    const bytes = statSync(tempPath).size;
    renameSync(tempPath, target);
    syncDirectory(folder);
    const now = new Date().toISOString();
    await this.db.run(
        `INSERT INTO dimse_series (pacs_endpoint_id, study_instance_uid, series_instance_uid, calling_ae_title, instances, bytes, status, first_received_at, last_received_at)
         VALUES (?, ?, ?, ?, 1, ?, 'receiving', ?, ?)
         ON CONFLICT (pacs_endpoint_id, series_instance_uid) DO UPDATE SET
           instances = CASE WHEN dimse_series.status = 'done' THEN 1 ELSE dimse_series.instances + ? END,
           bytes = CASE WHEN dimse_series.status = 'done' THEN excluded.bytes ELSE dimse_series.bytes + ? END,
           status = CASE WHEN dimse_series.status = 'done' THEN 'receiving' ELSE dimse_series.status END,
           job_id = CASE WHEN dimse_series.status = 'done' THEN NULL ELSE dimse_series.job_id END,
           last_received_at = excluded.last_received_at`,
      [pacsEndpointId, identity.studyInstanceUID, identity.seriesInstanceUID, callingAeTitle, bytes, now, now, previousBytes === undefined ? 1 : 0, bytes - (previousBytes ?? 0)],
    );
    return (await this.get(pacsEndpointId, identity.seriesInstanceUID))!;
  }

  async get(pacsEndpointId: string, seriesInstanceUID: string): Promise<ReceivedSeries | undefined> {
    const row = await this.db.one<Row>('SELECT * FROM dimse_series WHERE pacs_endpoint_id = ? AND series_instance_uid = ?', [pacsEndpointId, seriesInstanceUID]);
    return row && toSeries(row);
  }

  /** Series still receiving whose last instance arrived before `cutoff` (ISO time): stable, ready to queue. */
  async listStable(cutoff: string): Promise<ReceivedSeries[]> {
    return (await this.db.all<Row>(`SELECT * FROM dimse_series WHERE status = 'receiving' AND last_received_at < ? ORDER BY last_received_at`, [cutoff])).map(toSeries);
  }

  async listQueued(): Promise<ReceivedSeries[]> {
    return (await this.db.all<Row>(`SELECT * FROM dimse_series WHERE status = 'queued'`)).map(toSeries);
  }

  /** @param tx the transaction that created the job (both or neither). */
  async markQueued(pacsEndpointId: string, seriesInstanceUID: string, jobId: string, tx: SqlExecutor = this.db): Promise<void> {
    await tx.run(`UPDATE dimse_series SET status = 'queued', job_id = ? WHERE pacs_endpoint_id = ? AND series_instance_uid = ?`, [jobId, pacsEndpointId, seriesInstanceUID]);
  }

  /** Deletes a series' files once its job has finished; the row stays (status done) as a record. */
  async release(pacsEndpointId: string, seriesInstanceUID: string): Promise<void> {
    rmSync(this.seriesFolder(pacsEndpointId, seriesInstanceUID), { recursive: true, force: true });
    await this.db.run(`UPDATE dimse_series SET status = 'done', bytes = 0 WHERE pacs_endpoint_id = ? AND series_instance_uid = ?`, [pacsEndpointId, seriesInstanceUID]);
  }

  /** Every received Part 10 file of a series; new buffers owned by the caller. */
  readSeries(pacsEndpointId: string, seriesInstanceUID: string): Uint8Array[] {
    const folder = this.seriesFolder(pacsEndpointId, seriesInstanceUID);
    if (!existsSync(folder)) return [];
    return readdirSync(folder)
      .filter((name) => name.endsWith('.dcm'))
      .sort()
      .map((name) => new Uint8Array(readFileSync(join(folder, name))));
  }

  private seriesFolder(pacsEndpointId: string, seriesInstanceUID: string): string {
    // Both parts are validated upstream (a UUID and a UID); refuse anything else rather than trust it.
    if (!/^[0-9a-f-]{36}$/.test(pacsEndpointId) || !/^[0-9.]{1,64}$/.test(seriesInstanceUID)) {
      throw new Error(`Refusing a received-series path for endpoint ${JSON.stringify(pacsEndpointId)} and series ${JSON.stringify(seriesInstanceUID)}`);
    }
    return join(this.seriesRoot, pacsEndpointId, seriesInstanceUID);
  }
}

/** fsync of a directory makes a rename into it durable (POSIX: the entry lives in the directory). */
function syncDirectory(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
