import { describe, expect, it } from 'vitest';
import { jsonDepth } from './json-depth';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('jsonDepth', () => {
  it('counts nested arrays and objects', () => {
    expect(jsonDepth(bytes('1'))).toBe(0);
    expect(jsonDepth(bytes('{"a":[1,{"b":[]}]}'))).toBe(4);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonDepth(bytes('{"a":"[[[[\\"[[["}'))).toBe(1);
  });

  it('stops counting just past the limit', () => {
    expect(jsonDepth(bytes('['.repeat(45_000)), 64)).toBe(65);
  });
});
