import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { IsDicomUid } from './dicom-uid';

class Probe {
  @IsDicomUid() study!: string;
}

const errorsFor = (study: unknown) => validateSync(plainToInstance(Probe, { study })).flatMap((e) => Object.values(e.constraints ?? {}));

describe('IsDicomUid', () => {
  it.each(['1.2.840.10008.5.1.4.1.1.2', '0', '2.25.0', '1.' + '2'.repeat(62)])('accepts %s', (uid) => {
    expect(errorsFor(uid)).toEqual([]);
  });

  it.each([
    ['a leading zero in a component', '01.2'],
    ['an empty component', '1..2'],
    ['a trailing dot', '1.2.'],
    ['an empty string', ''],
    ['65 characters', '1.' + '2'.repeat(63)],
    ['a letter', '1.2a'],
    ['white space', ' 1.2'],
    ['a number', 1.2],
    ['null', null],
  ])('refuses %s with one message naming the field', (_what, value) => {
    expect(errorsFor(value)).toEqual(['study must be a DICOM UID (digits and dots, no leading zeros, at most 64 characters)']);
  });
});
