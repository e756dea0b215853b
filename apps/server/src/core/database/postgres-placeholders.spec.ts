import { describe, expect, it } from 'vitest';
import { numberPlaceholders } from './postgres.database';

describe('numberPlaceholders', () => {
  it('numbers every ? placeholder in order', () => {
    expect(numberPlaceholders('SELECT * FROM t WHERE a = ? AND b IN (?, ?)')).toBe('SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)');
  });

  it('leaves question marks in string literals, quoted identifiers and comments alone', () => {
    expect(numberPlaceholders(`SELECT '?', "col?" FROM t WHERE a = ? -- why?\n AND b = ?`)).toBe(`SELECT '?', "col?" FROM t WHERE a = $1 -- why?\n AND b = $2`);
  });

  it('handles an escaped quote inside a literal', () => {
    expect(numberPlaceholders(`SELECT 'it''s ?' WHERE a = ?`)).toBe(`SELECT 'it''s ?' WHERE a = $1`);
  });
});
