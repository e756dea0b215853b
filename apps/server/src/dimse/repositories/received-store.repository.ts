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
 * Instances pushed to our C-STORE SCP, and one `dimse_series` row per series. Where the instances live:
 * - SQLite (embedded, one process): Part 10 files under DATA_DIR/dimse/series/<endpoint>/<series>/
 *   <SOP Instance UID>.dcm. Folder and file names are UIDs that readInstanceIdentity validated (digits
 *   and dots), never raw peer input. A file is fsynced and renamed into place before its row is counted,
 *   so a crash never leaves a row pointing at half a file.
 * - PostgreSQL (scaled): `dimse_instances` rows, written in one transaction with the series' count, so
 *   the job may run on a worker on any host, and a receiving process that dies loses nothing it
 *   acknowledged. Only the file being received sits in DICOM_STORE_DIR/incoming, until its C-STORE
 *   is answered.
 * Either way the C-STORE is answered success only after this repository has the instance durably.
 */
@Injectable()
export class ReceivedStoreRepository {
  readonly tempDir: string;
  private readonly seriesRoot: string;
  /** True when the instances live in the database rather than in files (see the class comment). */
  private readonly instancesInDatabase: boolean;

  constructor(
    private readonly db: SqlDatabase,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.instancesInDatabase = db.dialect === 'postgres';
    const root = config.dicom?.storeDir ?? join(config.dataDir, 'dimse');
    this.tempDir = join(root, 'incoming');
    this.seriesRoot = join(root, 'series');
  }

  /** Creates the folders and deletes temporary files a dead process left behind. */
  prepare(): void {
    rmSync(this.tempDir, { recursive: true, force: true });
    mkdirSync(this.tempDir, { recursive: true, mode: 0o700 });
    if (!this.instancesInDatabase) mkdirSync(this.seriesRoot, { recursive: true, mode: 0o700 });
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
    if (this.instancesInDatabase) return this.addToDatabase(pacsEndpointId, callingAeTitle, identity, tempPath);
    const folder = this.seriesFolder(pacsEndpointId, identity.seriesInstanceUID);
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const target = join(folder, `${identity.sopInstanceUID}.dcm`);
    const previousBytes = existsSync(target) ? statSync(target).size : undefined;
    const bytes = statSync(tempPath).size;
    renameSync(tempPath, target);
    syncDirectory(folder);
    await this.count(this.db, pacsEndpointId, callingAeTitle, identity, bytes, previousBytes);
    return (await this.get(pacsEndpointId, identity.seriesInstanceUID))!;
  }

  private async addToDatabase(pacsEndpointId: string, callingAeTitle: string, identity: InstanceIdentity, tempPath: string): Promise<ReceivedSeries> {
    const content = readFileSync(tempPath);
    await this.db.transaction(async (tx) => {
      const previous = await tx.one<{ size: number }>(
        'SELECT octet_length(bytes) AS size FROM dimse_instances WHERE pacs_endpoint_id = ? AND series_instance_uid = ? AND sop_instance_uid = ?',
        [pacsEndpointId, identity.seriesInstanceUID, identity.sopInstanceUID],
      );
      // The series row first: the instance's row references it.
      await this.count(tx, pacsEndpointId, callingAeTitle, identity, content.length, previous?.size);
      await tx.run(
        `INSERT INTO dimse_instances (pacs_endpoint_id, series_instance_uid, sop_instance_uid, bytes) VALUES (?, ?, ?, ?)
         ON CONFLICT (pacs_endpoint_id, series_instance_uid, sop_instance_uid) DO UPDATE SET bytes = excluded.bytes`,
        [pacsEndpointId, identity.seriesInstanceUID, identity.sopInstanceUID, content],
      );
    });
    rmSync(tempPath, { force: true });
    return (await this.get(pacsEndpointId, identity.seriesInstanceUID))!;
  }

  /** Counts a received instance on its series row (a re-sent SOP Instance replaces, not adds). */
  private async count(db: SqlExecutor, pacsEndpointId: string, callingAeTitle: string, identity: InstanceIdentity, bytes: number, previousBytes: number | undefined): Promise<void> {
    const now = new Date().toISOString();
    await db.run(
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

  /**
   * Marks a receiving series queued. False when it no longer is receiving: another process (several
   * share the database in scaled mode) queued it first; the caller then rolls its job back.
   * @param tx the transaction that created the job (both or neither).
   */
  async markQueued(pacsEndpointId: string, seriesInstanceUID: string, jobId: string, tx: SqlExecutor = this.db): Promise<boolean> {
    const { changes } = await tx.run(`UPDATE dimse_series SET status = 'queued', job_id = ? WHERE pacs_endpoint_id = ? AND series_instance_uid = ? AND status = 'receiving'`, [
      jobId,
      pacsEndpointId,
      seriesInstanceUID,
    ]);
    return changes === 1;
  }

  /** Deletes a series' files once its job has finished; the row stays (status done) as a record. */
  async release(pacsEndpointId: string, seriesInstanceUID: string): Promise<void> {
    if (this.instancesInDatabase) {
      await this.db.transaction(async (tx) => {
        await tx.run('DELETE FROM dimse_instances WHERE pacs_endpoint_id = ? AND series_instance_uid = ?', [pacsEndpointId, seriesInstanceUID]);
        await tx.run(`UPDATE dimse_series SET status = 'done', bytes = 0 WHERE pacs_endpoint_id = ? AND series_instance_uid = ?`, [pacsEndpointId, seriesInstanceUID]);
      });
      return;
    }
    rmSync(this.seriesFolder(pacsEndpointId, seriesInstanceUID), { recursive: true, force: true });
    await this.db.run(`UPDATE dimse_series SET status = 'done', bytes = 0 WHERE pacs_endpoint_id = ? AND series_instance_uid = ?`, [pacsEndpointId, seriesInstanceUID]);
  }

  /** Every received Part 10 instance of a series, by SOP Instance UID; new buffers owned by the caller. */
  async readSeries(pacsEndpointId: string, seriesInstanceUID: string): Promise<Uint8Array[]> {
    if (this.instancesInDatabase) {
      const rows = await this.db.all<{ bytes: Buffer }>('SELECT bytes FROM dimse_instances WHERE pacs_endpoint_id = ? AND series_instance_uid = ? ORDER BY sop_instance_uid', [
        pacsEndpointId,
        seriesInstanceUID,
      ]);
      return rows.map((row) => new Uint8Array(row.bytes.buffer, row.bytes.byteOffset, row.bytes.byteLength));
    }
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
