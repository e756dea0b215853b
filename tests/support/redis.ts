import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './orthanc';

const script = resolve(__dirname, '../../scripts/redis.sh');

/**
 * A real Redis (Debian's redis-server, started by scripts/redis.sh) on a free loopback port with its
 * own data folder. Each test file starts its own and stops it; `restart()` keeps the data (AOF), as a
 * Redis restart in production would.
 */
export class RedisInstance {
  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async start(): Promise<RedisInstance> {
    const instance = new RedisInstance(await freePort(), mkdtempSync(join(tmpdir(), 'covseg-redis-')));
    instance.start();
    return instance;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  start(): void {
    execFileSync('bash', [script, 'start', '--port', String(this.port), '--dir', this.dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  }

  stop(): void {
    execFileSync('bash', [script, 'stop', '--dir', this.dir], { stdio: 'ignore' });
  }

  restart(): void {
    this.stop();
    this.start();
  }

  destroy(): void {
    this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
