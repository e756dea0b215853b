import { describe, expect, it } from 'vitest';
import { isInstanceResource, ProxyAnswerCache } from './proxy-answer-cache';

const answer = (size: number, status = 200) => ({ status, headers: { 'content-type': 'application/dicom' }, body: new Uint8Array(size) });

describe('isInstanceResource', () => {
  it('keeps instances and their frames, never studies, series or QIDO answers', () => {
    expect(isInstanceResource('studies/1.2/series/1.3/instances/1.4')).toBe(true);
    expect(isInstanceResource('studies/1.2/series/1.3/instances/1.4/frames/1')).toBe(true);
    expect(isInstanceResource('studies/1.2/series/1.3/instances/1.4/metadata')).toBe(true);
    expect(isInstanceResource('studies/1.2/series/1.3/instances')).toBe(false);
    expect(isInstanceResource('studies/1.2/series/1.3/metadata')).toBe(false);
    expect(isInstanceResource('studies/1.2/series/1.3')).toBe(false);
    expect(isInstanceResource('studies')).toBe(false);
  });
});

describe('ProxyAnswerCache', () => {
  it('evicts the least recently used answers past its byte bound', () => {
    const cache = new ProxyAnswerCache(300, 300);
    cache.set('a', answer(100));
    cache.set('b', answer(100));
    cache.set('c', answer(100));
    expect(cache.get('a')).toBeDefined(); // a is now the most recent
    cache.set('d', answer(100));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.size).toEqual({ entries: 3, bytes: 300 });
  });

  it('keeps only 200 answers no larger than one entry may be, and nothing when disabled', () => {
    const cache = new ProxyAnswerCache(1000, 100);
    cache.set('big', answer(101));
    cache.set('missing', answer(10, 404));
    expect(cache.size.entries).toBe(0);
    const disabled = new ProxyAnswerCache(0, 0);
    disabled.set('a', answer(0));
    expect(disabled.get('a')).toBeUndefined();
  });

  it('forgets an answer after its time to live', () => {
    let now = 0;
    const cache = new ProxyAnswerCache(1000, 1000, 60_000, () => now);
    cache.set('a', answer(10));
    now = 59_000;
    expect(cache.get('a')).toBeDefined();
    now = 120_000;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toEqual({ entries: 0, bytes: 0 });
  });
});
