import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelLoadError } from '../errors';
import { readOnnxMetadataProps } from './onnx-metadata';

const tiny = join(__dirname, '../../test-support/tiny-covseg.onnx');

/** Minimal protobuf writer for hand-made messages: tag + length-delimited payloads only. */
function lenField(field: number, payload: Uint8Array): Uint8Array {
  const out = [field * 8 + 2];
  let n = payload.length;
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Uint8Array.from([...out, ...payload]);
}
const text = (s: string) => new TextEncoder().encode(s);
const entry = (k: string, v: string) => lenField(14, Uint8Array.from([...lenField(1, text(k)), ...lenField(2, text(v))]));

describe('readOnnxMetadataProps', () => {
  it('reads every covseg key of the tiny test model written by onnx (Python)', () => {
    const props = readOnnxMetadataProps(readFileSync(tiny), tiny);
    expect(props.get('covseg.input_size')).toBe('64');
    expect(props.get('covseg.trained')).toBe('untrained');
    expect([...props.keys()].filter((k) => k.startsWith('covseg.'))).toHaveLength(15);
  });

  it('skips unrelated fields of every wire type and reads multi-byte lengths', () => {
    const long = 'x'.repeat(300);
    const bytes = Uint8Array.from([
      0x08, 0x07, // field 1 varint (ir_version 7)
      0x11, 1, 2, 3, 4, 5, 6, 7, 8, // field 2 fixed64
      0x1d, 1, 2, 3, 4, // field 3 fixed32
      ...lenField(7, text('graph bytes')),
      ...entry('covseg.name', long),
      ...entry('covseg.version', '1.0.0'),
    ]);
    const props = readOnnxMetadataProps(bytes, 'hand-made');
    expect(props.get('covseg.name')).toBe(long);
    expect(props.get('covseg.version')).toBe('1.0.0');
  });

  it('rejects a truncated file with a ModelLoadError naming the file', () => {
    const bytes = readFileSync(tiny);
    const cut = bytes.subarray(0, bytes.length - 10);
    expect(() => readOnnxMetadataProps(cut, '/models/cut.onnx')).toThrow(ModelLoadError);
    expect(() => readOnnxMetadataProps(cut, '/models/cut.onnx')).toThrow(/\/models\/cut\.onnx/);
  });
});
