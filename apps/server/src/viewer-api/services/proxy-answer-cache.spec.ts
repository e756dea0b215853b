import { describe, expect, it } from 'vitest';
import { isInstanceResource, ProxyAnswerCache, RecentAnswerCache, scopeOf } from './proxy-answer-cache';

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

describe('scopeOf', () => {
  it('names the study of a studies/{uid}/… path, and no study for a QIDO at the root', () => {
    expect(scopeOf('e1', 'studies/1.2/series/1.3/metadata')).toEqual({ endpointId: 'e1', studyInstanceUID: '1.2' });
    expect(scopeOf('e1', 'studies/1.2/series')).toEqual({ endpointId: 'e1', studyInstanceUID: '1.2' });
    expect(scopeOf('e1', 'studies')).toEqual({ endpointId: 'e1', studyInstanceUID: null });
    expect(scopeOf('e1', 'series')).toEqual({ endpointId: 'e1', studyInstanceUID: null });
  });
});

describe('RecentAnswerCache', () => {
  const metadata = (study: string) => ({ status: 200, headers: { 'content-type': 'application/dicom+json' }, body: new TextEncoder().encode(`[{"study":"${study}"}]`) });

  it('answers for ttlMs at most (its staleness bound), then asks again', () => {
    let now = 0;
    const cache = new RecentAnswerCache(1000, 1000, 2000, () => now);
    cache.set('k', metadata('1.2'), scopeOf('e1', 'studies/1.2/series'));
    now = 2000;
    expect(cache.get('k')).toBeDefined();
    now = 2001;
    expect(cache.get('k')).toBeUndefined();
  });

  it('frees expired answers nobody asks for again when it stores the next one', () => {
    let now = 0;
    const cache = new RecentAnswerCache(1000, 1000, 2000, () => now);
    cache.set('a', metadata('1.2'), scopeOf('e1', 'studies/1.2/series'));
    cache.set('b', metadata('1.3'), scopeOf('e1', 'studies/1.3/series'));
    now = 2500;
    cache.set('c', metadata('1.4'), scopeOf('e1', 'studies/1.4/series'));
    expect(cache.size.entries).toBe(1);
    expect(cache.size.bytes).toBe(metadata('1.4').body.length);
  });

  it('a store into a study drops that study and the root QIDO answers of that endpoint only', () => {
    const cache = new RecentAnswerCache(10_000, 10_000, 2000, () => 0);
    cache.set('series of 1.2', metadata('1.2'), scopeOf('e1', 'studies/1.2/series'));
    cache.set('metadata of 1.2', metadata('1.2'), scopeOf('e1', 'studies/1.2/series/1.5/metadata'));
    cache.set('studies', metadata('all'), scopeOf('e1', 'studies'));
    cache.set('series of 1.3', metadata('1.3'), scopeOf('e1', 'studies/1.3/series'));
    cache.set('other endpoint, same study', metadata('1.2'), scopeOf('e2', 'studies/1.2/series'));
    cache.dropStudy('e1', '1.2');
    expect(cache.get('series of 1.2')).toBeUndefined();
    expect(cache.get('metadata of 1.2')).toBeUndefined();
    expect(cache.get('studies')).toBeUndefined();
    expect(cache.get('series of 1.3')).toBeDefined();
    expect(cache.get('other endpoint, same study')).toBeDefined();
    expect(cache.size.entries).toBe(2);
  });

  it('never keeps an answer whose fetch started before a store dropped its study', () => {
    const cache = new RecentAnswerCache(10_000, 10_000, 2000, () => 0);
    const startedAt = cache.generation;
    cache.dropStudy('e1', '1.2'); // our STOW went in while the read was on its way
    cache.set('series of 1.2', metadata('1.2'), scopeOf('e1', 'studies/1.2/series'), startedAt);
    expect(cache.get('series of 1.2')).toBeUndefined();
    cache.set('series of 1.2', metadata('1.2'), scopeOf('e1', 'studies/1.2/series'), cache.generation);
    expect(cache.get('series of 1.2')).toBeDefined();
  });

  it('stays within its byte bound', () => {
    const cache = new RecentAnswerCache(100, 60, 2000, () => 0);
    const sized = (n: number) => ({ status: 200, headers: {}, body: new Uint8Array(n) });
    cache.set('a', sized(50), scopeOf('e1', 'studies/1.2/series'));
    cache.set('b', sized(50), scopeOf('e1', 'studies/1.3/series'));
    cache.set('c', sized(50), scopeOf('e1', 'studies/1.4/series'));
    cache.set('too big', sized(61), scopeOf('e1', 'studies/1.5/series'));
    expect(cache.size).toEqual({ entries: 2, bytes: 100 });
    expect(cache.get('a')).toBeUndefined();
  });
});
