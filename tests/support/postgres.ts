import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { freePort } from './orthanc';

const script = resolve(__dirname, '../../scripts/postgres.sh');

/**
 * A real PostgreSQL (Debian's, through scripts/postgres.sh) on a free loopback port with its data in a
 * temporary folder. Each test file starts its own and destroys it in afterAll; tests may stop and
 * start it (an outage) and keep the data. Each test can have a fresh database of its own (`createDatabase`).
 */
export class PostgresInstance {
  private constructor(
    readonly port: number,
    readonly dir: string,
    /** postgres://covseg:…@127.0.0.1:port/covseg */
    readonly url: string,
  ) {}

  static async start(): Promise<PostgresInstance> {
    const dir = mkdtempSync(join(tmpdir(), 'covseg-postgres-'));
    // Run as root, the server runs as the postgres user, which must traverse this folder (mkdtemp: 0700).
    chmodSync(dir, 0o711);
    const port = await freePort();
    const url = run(['start', '--port', String(port), '--dir', dir]);
    return new PostgresInstance(port, dir, url);
  }

  /** Starts it again after {@link stop}, same data, same port. */
  start(): void {
    run(['start', '--port', String(this.port), '--dir', this.dir]);
  }

  stop(): void {
    run(['stop', '--dir', this.dir]);
  }

  /** Stops the server and deletes its data. */
  destroy(): void {
    this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Creates an empty database and returns its URL, so each test starts from a blank schema. */
  async createDatabase(name = `t_${Math.random().toString(36).slice(2, 10)}`): Promise<string> {
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    const url = new URL(this.url);
    url.pathname = `/${name}`;
    return url.toString();
  }
}

function run(args: string[]): string {
  return execFileSync('bash', [script, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}
