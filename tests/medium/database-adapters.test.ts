import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseUnavailableError, DatabaseUniqueViolationError } from '../../apps/server/src/core/database/database.errors';
import { PostgresDatabase } from '../../apps/server/src/core/database/postgres.database';
import { POSTGRES_MIGRATIONS } from '../../apps/server/src/core/database/postgres.migrations';
import { SqlDatabase, SqlExecutor } from '../../apps/server/src/core/database/sql-database';
import { SqliteDatabase } from '../../apps/server/src/core/database/sqlite.database';
import { MIGRATIONS } from '../../apps/server/src/core/repositories/migrations';
import { PostgresInstance } from '../support/postgres';
import { repoRoot } from '../support/server';

let postgres: PostgresInstance;
const sqliteDirs: string[] = [];

beforeAll(async () => {
  postgres = await PostgresInstance.start();
});

afterAll(() => {
  postgres?.destroy();
  for (const dir of sqliteDirs) rmSync(dir, { recursive: true, force: true });
});

const adapters: Array<{ name: string; open: () => Promise<SqlDatabase>; migrations: number }> = [
  {
    name: 'SQLite',
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'covseg-sqlite-'));
      sqliteDirs.push(dir);
      return SqliteDatabase.open(join(dir, 'covseg.sqlite'), MIGRATIONS);
    },
    migrations: MIGRATIONS.length,
  },
  {
    name: 'PostgreSQL',
    open: async () => PostgresDatabase.connect({ url: await postgres.createDatabase(), poolSize: 4, connectTimeoutMs: 2_000 }),
    migrations: POSTGRES_MIGRATIONS.length,
  },
];

const endpoint = (db: SqlExecutor, id: string, name = id) =>
  db.run(`INSERT INTO pacs_endpoints (id, name, base_url, auth_type, timeout_ms, created_at, updated_at) VALUES (?, ?, ?, 'none', ?, ?, ?)`, [
    id,
    name,
    'http://127.0.0.1:1/dicom-web',
    5000,
    '2026-01-01T00:00:00.000Z',
    '2026-01-01T00:00:00.000Z',
  ]);

describe.each(adapters)('the $name adapter of the database port', ({ open, migrations }) => {
  let db: SqlDatabase;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('brings a new database to the newest schema version', async () => {
    expect(await db.schemaVersion()).toBe(migrations);
  });

  it('binds ? placeholders, booleans as 0/1, and returns counts as numbers', async () => {
    await endpoint(db, 'e1');
    await db.run(`INSERT INTO jobs (id, pacs_endpoint_id, study_instance_uid, force, status, created_at) VALUES (?, ?, ?, ?, 'queued', ?)`, ['j1', 'e1', '1.2.3', true, '2026-01-01T00:00:01.000Z']);
    const job = await db.one<{ force: number; status: string }>('SELECT force, status FROM jobs WHERE id = ?', ['j1']);
    expect(job).toEqual({ force: 1, status: 'queued' });
    const count = await db.one<{ n: number }>('SELECT COUNT(*) AS n FROM jobs WHERE status = ?', ['queued']);
    expect(count).toEqual({ n: 1 });
    expect(await db.one('SELECT * FROM jobs WHERE id = ?', ['missing'])).toBeUndefined();
  });

  it('runs UPDATE … RETURNING and reports the rows it changed', async () => {
    const rows = await db.all<{ id: string; attempts: number }>(`UPDATE jobs SET status = 'running', attempts = attempts + 1 WHERE status = ? RETURNING id, attempts`, ['queued']);
    expect(rows).toEqual([{ id: 'j1', attempts: 1 }]);
    expect(await db.run(`UPDATE jobs SET status = 'failed' WHERE id = ? AND status = 'queued'`, ['j1'])).toEqual({ changes: 0 });
  });

  it('keeps the first row on INSERT … ON CONFLICT DO NOTHING and reports no change', async () => {
    const insert = `INSERT INTO auth_tokens (id, token_sha256, role, label, created_by, created_at) VALUES (?, ?, 'admin', 'x', 'test', ?) ON CONFLICT(token_sha256) DO NOTHING`;
    expect(await db.run(insert, ['t1', 'hash-1', '2026-01-01T00:00:00.000Z'])).toEqual({ changes: 1 });
    expect(await db.run(insert, ['t2', 'hash-1', '2026-01-01T00:00:00.000Z'])).toEqual({ changes: 0 });
  });

  it('turns a unique constraint violation into DatabaseUniqueViolationError', async () => {
    await expect(endpoint(db, 'e2', 'e1')).rejects.toBeInstanceOf(DatabaseUniqueViolationError);
  });

  it('gives identity order to audit rows and pages backwards by id', async () => {
    for (const action of ['a', 'b', 'c']) {
      await db.run('INSERT INTO audit_log (at, actor, action, target, details) VALUES (?, ?, ?, ?, ?)', ['2026-01-01T00:00:00.000Z', 'test', action, 't', '{}']);
    }
    const all = await db.all<{ id: number; action: string }>('SELECT id, action FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?', [Number.MAX_SAFE_INTEGER, 10]);
    expect(all.map((r) => r.action)).toEqual(['c', 'b', 'a']);
    expect(typeof all[0]!.id).toBe('number');
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await db.transaction(async (tx) => {
      await endpoint(tx, 'committed');
    });
    await expect(
      db.transaction(async (tx) => {
        await endpoint(tx, 'rolled-back');
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const names = await db.all<{ id: string }>(`SELECT id FROM pacs_endpoints WHERE id IN ('committed', 'rolled-back')`);
    expect(names).toEqual([{ id: 'committed' }]);
  });

  it('never lets a statement from outside see or join an open transaction', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const tx = db.transaction(async (t) => {
      await endpoint(t, 'inside');
      await gate;
      throw new Error('undo');
    });
    // Issued while the transaction is open: it must not see (SQLite: waits; Postgres: isolation) the
    // uncommitted row, and must not be rolled back with it.
    const outside = (async () => {
      await endpoint(db, 'outside');
      return db.one(`SELECT id FROM pacs_endpoints WHERE id = 'inside'`);
    })();
    await new Promise((r) => setTimeout(r, 50));
    release();
    await expect(tx).rejects.toThrow('undo');
    expect(await outside).toBeUndefined();
    expect(await db.one(`SELECT id FROM pacs_endpoints WHERE id = 'outside'`)).toEqual({ id: 'outside' });
  });

  it('runs a volatile statement (progress rows) in order with the rest, waiting for an open transaction like any other', async () => {
    await endpoint(db, 'volatile');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // The volatile write is sent only once the transaction holds the row (Postgres: another pooled
    // connection could otherwise reach the server before the transaction's own UPDATE).
    let updated!: () => void;
    const rowHeld = new Promise<void>((r) => (updated = r));
    const tx = db.transaction(async (t) => {
      await t.run(`UPDATE pacs_endpoints SET name = 'from the transaction' WHERE id = 'volatile'`);
      updated();
      await gate;
    });
    await rowHeld;
    const volatile = db.runVolatile(`UPDATE pacs_endpoints SET name = ? WHERE id = ?`, ['after it', 'volatile']);
    await new Promise((r) => setTimeout(r, 50));
    release();
    await tx;
    expect(await volatile).toEqual({ changes: 1 });
    expect(await db.one(`SELECT name FROM pacs_endpoints WHERE id = 'volatile'`)).toEqual({ name: 'after it' });
    await expect(db.transaction(async () => db.runVolatile('SELECT 1'))).rejects.toThrow('pass the transaction (tx)');
    // SQLite: every other commit stays durable (synchronous = FULL, 2).
    if (db instanceof SqliteDatabase) {
      const sqlite = db;
      expect(sqlite.handle.pragma('synchronous', { simple: true })).toBe(2);
      // Even for code that runs while the caller still awaits the volatile write: a microtask queued
      // before it (the first to run after its synchronous part) already sees FULL.
      let seen: unknown;
      queueMicrotask(() => (seen = sqlite.handle.pragma('synchronous', { simple: true })));
      await db.runVolatile(`UPDATE pacs_endpoints SET name = ? WHERE id = ?`, ['again', 'volatile']);
      expect(seen).toBe(2);
    }
  });

  it('refuses a statement on the database itself from inside one of its transactions (it would deadlock or escape the transaction)', async () => {
    await expect(db.transaction(async () => db.one('SELECT 1 AS one'))).rejects.toThrow('pass the transaction (tx)');
    expect(await db.one('SELECT 1 AS one')).toEqual({ one: 1 });
  });

  it('stores and returns bytes unchanged, from a Buffer or a view on a larger buffer', async () => {
    const backing = new Uint8Array(300);
    for (let i = 0; i < backing.length; i++) backing[i] = i % 256;
    const view = backing.subarray(10, 266);
    await db.run('CREATE TABLE IF NOT EXISTS test_bytes (id TEXT PRIMARY KEY, bytes BYTEA)'.replace('BYTEA', db.dialect === 'sqlite' ? 'BLOB' : 'BYTEA'));
    await db.run('INSERT INTO test_bytes (id, bytes) VALUES (?, ?)', ['v', view]);
    const row = await db.one<{ bytes: Buffer }>('SELECT bytes FROM test_bytes WHERE id = ?', ['v']);
    expect(Buffer.isBuffer(row!.bytes)).toBe(true);
    expect(new Uint8Array(row!.bytes)).toEqual(view);
  });

  it('gives a named lock (leader election) to one holder at a time, and to the next once it is released', async () => {
    const first = await db.tryLock('leader-test');
    expect(first).toBeDefined();
    expect(await db.tryLock('leader-test')).toBeUndefined();
    expect(await first!.stillHeld()).toBe(true);
    const other = await db.tryLock('another-name');
    expect(other).toBeDefined();
    await first!.release();
    expect(await first!.stillHeld()).toBe(false);
    const next = await db.tryLock('leader-test');
    expect(next).toBeDefined();
    await next!.release();
    await other!.release();
  });
});

describe('PostgreSQL migrations', () => {
  it('run once when two processes start at the same time on an empty database', async () => {
    const url = await postgres.createDatabase();
    const migrate = () =>
      new Promise<{ applied: number[] }>((resolve, reject) => {
        const child = spawn(process.execPath, ['scripts/run-ts.mjs', 'tests/support/migrate-postgres.cli.ts'], { cwd: repoRoot, env: { ...process.env, DATABASE_URL: url } });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim()) as { applied: number[] }) : reject(new Error(`migration process exited ${code}: ${err}`))));
      });
    const results = await Promise.all([migrate(), migrate()]);
    const all = Array.from({ length: POSTGRES_MIGRATIONS.length }, (_, i) => i + 1);
    // One process applied every version, the other found nothing left to do (it waited on the lock).
    expect(results.map((r) => r.applied).sort((a, b) => b.length - a.length)).toEqual([all, []]);
    const db = await PostgresDatabase.connect({ url, poolSize: 1, connectTimeoutMs: 2_000 });
    try {
      expect(await db.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).toEqual(all.map((version) => ({ version })));
    } finally {
      await db.close();
    }
  });

  it('frees a lock when the connection of its holder dies, so another holder takes it (a killed leader)', async () => {
    const db = await PostgresDatabase.connect({ url: await postgres.createDatabase(), poolSize: 2, connectTimeoutMs: 2_000 });
    try {
      const leader = await db.tryLock('watcher');
      expect(leader).toBeDefined();
      expect(await db.tryLock('watcher')).toBeUndefined();
      // What a kill -9 of the holder does to its session, from the server's side.
      await db.one(`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`);
      expect(await leader!.stillHeld()).toBe(false);
      const successor = await db.tryLock('watcher');
      expect(successor).toBeDefined();
      await successor!.release();
      await leader!.release();
    } finally {
      await db.close();
    }
  });

  it('fail a statement with DatabaseUnavailableError while Postgres is stopped, and recover once it is back', async () => {
    const db = await PostgresDatabase.connect({ url: await postgres.createDatabase(), poolSize: 2, connectTimeoutMs: 1_000 });
    try {
      expect(await db.one('SELECT 1 AS one')).toEqual({ one: 1 });
      postgres.stop();
      await expect(db.one('SELECT 1 AS one')).rejects.toBeInstanceOf(DatabaseUnavailableError);
      await expect(db.transaction(async (tx) => tx.one('SELECT 1 AS one'))).rejects.toBeInstanceOf(DatabaseUnavailableError);
      postgres.start();
      expect(await db.one('SELECT 1 AS one')).toEqual({ one: 1 });
    } finally {
      await db.close();
    }
  });
});
