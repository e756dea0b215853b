import { Redis } from 'ioredis';
import { REDIS_PREFIX } from './bullmq-names';

// Compare-and-act scripts: only the holder (its token) may extend or release a lock.
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * One job at a time per study and endpoint, across all workers. Two jobs of the same series (a user's and
 * the watcher's, or two users') then run one after the other, and the second finds the first's SEG on the
 * PACS and reuses it instead of storing a second one. The lock expires after `ttlMs` unless extended, so
 * a worker killed with -9 does not hold the study forever.
 */
export class StudyLock {
  constructor(
    private readonly redis: Redis,
    private readonly ttlMs: number,
  ) {}

  static key(pacsEndpointId: string, studyInstanceUID: string): string {
    return `${REDIS_PREFIX}:study-lock:${pacsEndpointId}:${studyInstanceUID}`;
  }

  /** True when this token now holds the lock. */
  async acquire(key: string, token: string): Promise<boolean> {
    return (await this.redis.set(key, token, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  /** False when the lock is no longer ours (it expired and another worker took it). */
  async extend(key: string, token: string): Promise<boolean> {
    return (await this.redis.eval(EXTEND, 1, key, token, String(this.ttlMs))) === 1;
  }

  async release(key: string, token: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, key, token);
  }
}
