import { describe, expect, it } from 'vitest';
import { RecentCache } from './recent-cache';

/** A load whose answer the test releases, counting how often it ran. */
function controlledLoad<V>(value: V | undefined) {
  const calls: Array<(v?: V) => void> = [];
  const load = () => new Promise<V | undefined>((resolve) => calls.push((v) => resolve(v === undefined ? value : v)));
  return { load, calls };
}

describe('RecentCache', () => {
  it('reads once for a burst of lookups of one key and answers from memory until the bound passes', async () => {
    let clock = 0;
    const cache = new RecentCache<string>(2_000, 10, () => clock);
    let reads = 0;
    const load = async () => `row ${++reads}`;
    const burst = await Promise.all(Array.from({ length: 20 }, () => cache.getOrLoad('a', load)));
    expect(new Set(burst)).toEqual(new Set(['row 1']));
    clock = 1_999;
    expect(await cache.getOrLoad('a', load)).toBe('row 1');
    clock = 2_000;
    expect(await cache.getOrLoad('a', load)).toBe('row 2');
    expect(reads).toBe(2);
  });

  it('never stores an answer whose load began before an invalidation', async () => {
    const cache = new RecentCache<string>(60_000, 10, () => 0);
    const stale = controlledLoad('before revoke');
    const pending = cache.getOrLoad('token', stale.load);
    cache.invalidate();
    stale.calls[0]!();
    expect(await pending).toBe('before revoke');
    let reads = 0;
    expect(await cache.getOrLoad('token', async () => (reads++, undefined))).toBeUndefined();
    expect(reads).toBe(1);
  });

  it('does not share a load in progress with a caller who came after a delete', async () => {
    const cache = new RecentCache<string>(60_000, 10, () => 0);
    const old = controlledLoad('old record');
    const first = cache.getOrLoad('endpoint', old.load);
    cache.delete('endpoint');
    const second = cache.getOrLoad('endpoint', async () => 'new record');
    old.calls[0]!();
    expect(await first).toBe('old record');
    expect(await second).toBe('new record');
    expect(await cache.getOrLoad('endpoint', async () => 'read again')).toBe('new record');
  });

  it('keeps no unknown key and no failed load', async () => {
    const cache = new RecentCache<string>(60_000, 10, () => 0);
    let reads = 0;
    await cache.getOrLoad('guess', async () => (reads++, undefined));
    await cache.getOrLoad('guess', async () => (reads++, undefined));
    await expect(cache.getOrLoad('x', () => Promise.reject(new Error('database down')))).rejects.toThrow('database down');
    expect(await cache.getOrLoad('x', async () => 'back')).toBe('back');
    expect(reads).toBe(2);
  });

  it('keeps an answer no longer than its own expiry, and none at all when already expired', async () => {
    let clock = 0;
    const cache = new RecentCache<string>(60_000, 10, () => clock);
    let reads = 0;
    const load = async () => `v${++reads}`;
    await cache.getOrLoad('short', load, () => 500);
    clock = 499;
    expect(await cache.getOrLoad('short', load, () => 500)).toBe('v1');
    clock = 500;
    expect(await cache.getOrLoad('short', load, () => 0)).toBe('v2');
    expect(await cache.getOrLoad('short', load, () => 0)).toBe('v3');
  });

  it('holds at most maxEntries, dropping the oldest', async () => {
    const cache = new RecentCache<string>(60_000, 2, () => 0);
    let reads = 0;
    const load = async () => `v${++reads}`;
    await cache.getOrLoad('a', load);
    await cache.getOrLoad('b', load);
    await cache.getOrLoad('c', load);
    expect(await cache.getOrLoad('b', load)).toBe('v2');
    expect(await cache.getOrLoad('a', load)).toBe('v4');
  });

  it('loads every time when the bound is 0', async () => {
    const cache = new RecentCache<string>(0);
    let reads = 0;
    await cache.getOrLoad('a', async () => `v${++reads}`);
    await cache.getOrLoad('a', async () => `v${++reads}`);
    expect(reads).toBe(2);
  });
});
