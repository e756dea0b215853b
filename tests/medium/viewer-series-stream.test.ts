import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDicom } from '@covseg/dicom';
import { lidcSlicePaths } from '../support/lidc-fixture';
import { readPart10Pixels } from '../../apps/viewer/src/loaders/dicom-part10';
import { readMultipartStream } from '../../apps/viewer/src/loaders/multipart';
import { pixelsOfPart, UnreadableSyntaxError } from '../../apps/viewer/src/loaders/series-pixels';

/** Compares the viewer's minimal reader with the project's full parser (dcmjs based) on one file. */
async function expectSameAsParser(bytes: Uint8Array, syntax: string): Promise<void> {
  const read = readPart10Pixels(bytes);
  const reference = parseDicom(bytes);
  expect(read?.transferSyntaxUID).toBe(syntax);
  expect(read?.sopInstanceUID).toBe(reference.sopInstanceUID);
  const stored = await reference.decodeFrame(0);
  const copy = read!.pixelData.slice(0, stored.length * 2);
  expect(Array.from(new Int16Array(copy.buffer))).toEqual(Array.from(stored));
}

describe('reading SOP Instance UID and Pixel Data from a Part 10 file', () => {
  it('matches the full parser on LIDC slices stored explicit VR little endian', async () => {
    for (const path of lidcSlicePaths().slice(0, 3)) await expectSameAsParser(new Uint8Array(readFileSync(path)), '1.2.840.10008.1.2.1');
  });

  it('matches the full parser on the same slice converted to implicit VR little endian (dcmconv)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'covseg-part10-'));
    try {
      const out = join(dir, 'implicit.dcm');
      execFileSync('dcmconv', ['+ti', lidcSlicePaths()[5]!, out]);
      await expectSameAsParser(new Uint8Array(readFileSync(out)), '1.2.840.10008.1.2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a compressed file as unreadable, so the viewer falls back to transcoded frames', () => {
    const dir = mkdtempSync(join(tmpdir(), 'covseg-part10-'));
    try {
      const out = join(dir, 'rle.dcm');
      execFileSync('dcmcrle', [lidcSlicePaths()[5]!, out]);
      expect(readPart10Pixels(new Uint8Array(readFileSync(out)))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('turning a streamed instance into the stored values the worker transfers', () => {
  const format = (bytes: Uint8Array) => {
    const parsed = parseDicom(bytes);
    return new Map([[parsed.sopInstanceUID, { sopInstanceUID: parsed.sopInstanceUID, rows: 512, columns: 512, bitsAllocated: 16, pixelRepresentation: Number(parsed.dataset.PixelRepresentation) }]]);
  };

  it('gives the slice its own aligned buffer with the parser\'s values and their range, from a part at an odd offset', async () => {
    const file = new Uint8Array(readFileSync(lidcSlicePaths()[7]!));
    const padded = new Uint8Array(file.length + 1);
    padded.set(file, 1);
    const slice = pixelsOfPart(padded.subarray(1), format(file))!;
    const stored = await parseDicom(file).decodeFrame(0);
    expect(slice.pixels.byteOffset).toBe(0);
    expect(slice.pixels.buffer.byteLength).toBe(512 * 512 * 2);
    expect(Array.from(slice.pixels)).toEqual(Array.from(stored));
    const values = Array.from(stored);
    expect([slice.min, slice.max]).toEqual([values.reduce((a, b) => Math.min(a, b)), values.reduce((a, b) => Math.max(a, b))]);
  });

  it('skips a slice nobody asked for, and stops at a compressed one', () => {
    const file = new Uint8Array(readFileSync(lidcSlicePaths()[7]!));
    expect(pixelsOfPart(file, new Map())).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), 'covseg-part10-'));
    try {
      const out = join(dir, 'rle.dcm');
      execFileSync('dcmcrle', [lidcSlicePaths()[7]!, out]);
      expect(() => pixelsOfPart(new Uint8Array(readFileSync(out)), format(file))).toThrow(UnreadableSyntaxError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('reading a streamed multipart/related series answer', () => {
  it('hands over every part intact whatever the chunking', async () => {
    const encoder = new TextEncoder();
    const parts = [Uint8Array.from([0x0d, 0x0a, 0x2d, 0x2d, 1, 2]), new Uint8Array(70_000).map((_, i) => i % 251), Uint8Array.from([9])];
    const pieces: Uint8Array[] = [];
    for (const part of parts) pieces.push(encoder.encode('--b-1\r\nContent-Type: application/dicom\r\n\r\n'), part, encoder.encode('\r\n'));
    pieces.push(encoder.encode('--b-1--\r\n'));
    const whole = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const piece of pieces) {
      whole.set(piece, at);
      at += piece.length;
    }
    for (const chunk of [1, 7, 4096, whole.length]) {
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < whole.length; i += chunk) controller.enqueue(whole.slice(i, i + chunk));
          controller.close();
        },
      });
      const seen: number[][] = [];
      await readMultipartStream(stream, 'multipart/related; type="application/dicom"; boundary=b-1', (part) => seen.push(Array.from(part)));
      expect(seen).toEqual(parts.map((p) => Array.from(p)));
    }
  });

  it('reads a byte stream through a BYOB reader into its own buffer, parts larger than that buffer included', async () => {
    // Parts of 3 MiB and 9 MiB outgrow the 4 MiB buffer; small ones around them force compaction.
    const sizes = [3 << 20, 17, 9 << 20, 513 * 1024, 1];
    const parts = sizes.map((size, n) => new Uint8Array(size).map((_, i) => (i * 31 + n) % 253));
    const whole = multipart('b-2', parts);
    for (const offer of [1000, 64 * 1024, 2 << 20]) {
      let at = 0;
      let byobReads = 0;
      // A byte stream that answers BYOB reads as fetch's body does: up to `offer` bytes into the caller's view.
      const stream = new ReadableStream({
        type: 'bytes',
        pull(controller) {
          if (at >= whole.length) return controller.close();
          const request = controller.byobRequest;
          if (request?.view) {
            byobReads++;
            const view = new Uint8Array(request.view.buffer, request.view.byteOffset, request.view.byteLength);
            const n = Math.min(offer, view.length, whole.length - at);
            view.set(whole.subarray(at, at + n));
            at += n;
            request.respond(n);
          } else {
            controller.enqueue(whole.slice(at, Math.min(whole.length, at + offer)));
            at += offer;
          }
        },
      });
      const seen: Uint8Array[] = [];
      await readMultipartStream(stream as ReadableStream<Uint8Array>, 'multipart/related; type="application/dicom"; boundary=b-2', (part) => seen.push(part.slice()));
      expect(byobReads).toBeGreaterThan(0);
      expect(seen.map((p) => p.length)).toEqual(sizes);
      for (let n = 0; n < parts.length; n++) expect(Buffer.compare(seen[n]!, parts[n]!)).toBe(0);
    }
  });

  it('stops at a truncated byte stream with a framing error', async () => {
    const whole = multipart('b-3', [new Uint8Array(100_000).fill(7)]);
    const stream = new ReadableStream({
      type: 'bytes',
      start(controller) {
        controller.enqueue(whole.slice(0, whole.length - 12));
        controller.close();
      },
    });
    await expect(readMultipartStream(stream as ReadableStream<Uint8Array>, 'multipart/related; boundary=b-3', () => undefined)).rejects.toThrow(/closing boundary is missing/);
  });
});

function multipart(boundary: string, parts: Uint8Array[]): Uint8Array {
  const encoder = new TextEncoder();
  const pieces: Uint8Array[] = [];
  for (const part of parts) pieces.push(encoder.encode(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), part, encoder.encode('\r\n'));
  pieces.push(encoder.encode(`--${boundary}--\r\n`));
  const whole = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const piece of pieces) {
    whole.set(piece, at);
    at += piece.length;
  }
  return whole;
}
