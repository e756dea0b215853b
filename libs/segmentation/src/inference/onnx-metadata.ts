import { ModelLoadError } from '../errors';

/*
 * onnxruntime-node 1.23 exposes input/output metadata but not the model's custom metadata_props,
 * so we read them from the ONNX protobuf ourselves. Only the few wire-format rules we need:
 *   ModelProto.metadata_props = field 14, repeated StringStringEntryProto { key = 1; value = 2; }
 * (onnx/onnx.proto3). Every other field is skipped by its wire type, so large initializers cost
 * one skip, not a parse.
 */

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;
const MODEL_METADATA_PROPS = 14;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;

class ProtoReader {
  pos: number;
  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
    private readonly source: string,
  ) {
    this.pos = start;
  }

  fail(what: string): never {
    throw new ModelLoadError(`Reading ONNX metadata failed (${what} at byte ${this.pos}): ${this.source}`, this.source);
  }

  /** Varint as a JS number; exact up to 2^53, which covers every length in a file we can hold. */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.bytes[this.pos++]!;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    return this.fail('varint longer than 10 bytes');
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_I64:
        this.advance(8);
        return;
      case WIRE_LEN:
        this.advance(this.varint());
        return;
      case WIRE_I32:
        this.advance(4);
        return;
      default:
        this.fail(`unsupported wire type ${wireType}`);
    }
  }

  advance(n: number): void {
    if (this.pos + n > this.end) this.fail('field runs past its end');
    this.pos += n;
  }

  lengthDelimited(): { start: number; end: number } {
    const length = this.varint();
    const start = this.pos;
    this.advance(length);
    return { start, end: start + length };
  }
}

/**
 * Reads the ONNX ModelProto.metadata_props of a serialized model.
 * @param bytes the whole .onnx file; not retained.
 * @param source the path, for error messages.
 * @returns key → value (later duplicates win, as in onnxruntime).
 * @throws ModelLoadError when the bytes are not a well-formed protobuf.
 */
export function readOnnxMetadataProps(bytes: Uint8Array, source: string): Map<string, string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const props = new Map<string, string>();
  const reader = new ProtoReader(bytes, 0, bytes.length, source);
  while (reader.pos < reader.end) {
    const tag = reader.varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (field === 0) reader.fail('field number 0');
    if (field !== MODEL_METADATA_PROPS || wireType !== WIRE_LEN) {
      reader.skip(wireType);
      continue;
    }
    const { start, end } = reader.lengthDelimited();
    const entry = new ProtoReader(bytes, start, end, source);
    let key = '';
    let value = '';
    while (entry.pos < entry.end) {
      const entryTag = entry.varint();
      const entryField = Math.floor(entryTag / 8);
      if ((entryField === ENTRY_KEY || entryField === ENTRY_VALUE) && (entryTag & 7) === WIRE_LEN) {
        const span = entry.lengthDelimited();
        let text: string;
        try {
          text = decoder.decode(bytes.subarray(span.start, span.end));
        } catch (cause) {
          throw new ModelLoadError(`Reading ONNX metadata failed (metadata string is not UTF-8): ${source}`, source, { cause });
        }
        if (entryField === ENTRY_KEY) key = text;
        else value = text;
      } else {
        entry.skip(entryTag & 7);
      }
    }
    props.set(key, value);
  }
  return props;
}
