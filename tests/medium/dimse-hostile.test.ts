import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeriesFactory } from '../factories/series.factory';
import { runDcmtk } from '../support/dcmtk';
import { freePort } from '../support/orthanc';
import { TestServer, startTestServer } from '../support/server';

/**
 * A corpus of hostile and broken DICOM upper-layer traffic (PS3.8) sent over raw sockets to our C-STORE
 * SCP. Each case must end with the server closing (or refusing) the connection cleanly; afterwards the
 * server must still be healthy: /api/health answers 200 with the listener up, C-ECHO works, a good
 * C-STORE association works, and no half-received instance is left on disk.
 */

const CALLED = 'COVSEG';
const GOOD = 'GOODAE';
const VERIFICATION = '1.2.840.10008.1.1';
const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const IMPLICIT_LE = '1.2.840.10008.1.2';
const APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';

const u16 = (v: number) => Buffer.from([(v >> 8) & 0xff, v & 0xff]);
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
};
const ae = (title: string) => Buffer.from(title.padEnd(16, ' ').slice(0, 16), 'latin1');
/** A PDU: type, reserved byte, 32-bit big-endian length, body (PS3.8 9.3.1). */
const pdu = (type: number, body: Buffer, length = body.length) => Buffer.concat([Buffer.from([type, 0]), u32(length), body]);
/** A variable item: type, reserved, 16-bit length, body (PS3.8 9.3.2.x). */
const item = (type: number, body: Buffer, length = body.length) => Buffer.concat([Buffer.from([type, 0]), u16(length), body]);

function presentationContext(id: number, abstractSyntax: string, transferSyntaxes: string[]): Buffer {
  return item(0x20, Buffer.concat([Buffer.from([id, 0, 0, 0]), item(0x30, Buffer.from(abstractSyntax)), ...transferSyntaxes.map((ts) => item(0x40, Buffer.from(ts)))]));
}

function associateRq(options: { calling?: Buffer | string; called?: string; contexts?: Buffer[]; maxPdu?: number } = {}): Buffer {
  const calling = typeof options.calling === 'string' || options.calling === undefined ? ae(options.calling ?? GOOD) : options.calling;
  const contexts = options.contexts ?? [presentationContext(1, VERIFICATION, [IMPLICIT_LE]), presentationContext(3, CT_IMAGE_STORAGE, [IMPLICIT_LE])];
  const userInfo = item(0x50, Buffer.concat([item(0x51, u32(options.maxPdu ?? 16384)), item(0x52, Buffer.from('1.2.3.4'))]));
  const body = Buffer.concat([u16(1), u16(0), ae(options.called ?? CALLED), calling, Buffer.alloc(32), item(0x10, Buffer.from(APPLICATION_CONTEXT)), ...contexts, userInfo]);
  return pdu(0x01, body);
}

/** One PDV item in a P-DATA-TF: length, presentation context id, control header (bit 0 command, bit 1 last). */
const pdv = (contextId: number, control: number, data: Buffer) => Buffer.concat([u32(data.length + 2), Buffer.from([contextId, control]), data]);
const pData = (...items: Buffer[]) => pdu(0x04, Buffer.concat(items));

/** An Implicit VR Little Endian element of the command set (PS3.7 E.1). */
function element(group: number, elementNumber: number, value: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(elementNumber, 2);
  head.writeUInt32LE(value.length, 4);
  return Buffer.concat([head, value]);
}
const uid = (value: string) => Buffer.from(value.length % 2 ? `${value}\0` : value, 'latin1');
const us = (value: number) => Buffer.from([value & 0xff, value >> 8]);

/** A C-STORE-RQ command set announcing a data set (PS3.7 9.3.1.1). */
function cStoreCommand(sopInstanceUID: string): Buffer {
  const elements = Buffer.concat([
    element(0x0000, 0x0002, uid(CT_IMAGE_STORAGE)),
    element(0x0000, 0x0100, us(0x0001)),
    element(0x0000, 0x0110, us(1)),
    element(0x0000, 0x0700, us(0)),
    element(0x0000, 0x0800, us(0x0000)),
    element(0x0000, 0x1000, uid(sopInstanceUID)),
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(elements.length);
  return Buffer.concat([element(0x0000, 0x0000, length), elements]);
}

/** A deterministic PRNG (mulberry32), so the garbage cases are the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const garbage = (seed: number, length: number) => {
  const next = random(seed);
  return Buffer.from(Array.from({ length }, () => Math.floor(next() * 256)));
};

interface Exchange {
  received: Buffer;
  /** True when the server closed the connection (FIN or reset) before we gave up waiting. */
  closedByServer: boolean;
}

/**
 * Sends `steps` in order (a Buffer is written; a number waits that many ms), then waits up to
 * `waitMs` for the server to close. `keepOpen: false` closes our side right after the last step.
 */
function exchange(port: number, steps: Array<Buffer | number>, options: { waitMs?: number; keepOpen?: boolean } = {}): Promise<Exchange> {
  // Generous: the server closes after DICOM_TIMEOUT_SECONDS (2 s) at most, but the machine may be loaded.
  const waitMs = options.waitMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ received: Buffer.concat(chunks), closedByServer });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? finish(true) : reject(error)));
    socket.on('connect', async () => {
      for (const step of steps) {
        if (typeof step === 'number') await new Promise((r) => setTimeout(r, step));
        else if (!socket.destroyed) socket.write(step);
      }
      if (options.keepOpen === false) {
        settled = true;
        clearTimeout(timer);
        socket.end();
        resolve({ received: Buffer.concat(chunks), closedByServer: false });
      }
    });
  });
}

const accepted = (received: Buffer) => received[0] === 0x02;

interface Case {
  name: string;
  steps: Array<Buffer | number>;
  /** What the first byte of the answer must be (2 AC, 3 RJ, 7 abort), or undefined when any or none. */
  answer?: number;
  /** We close first (truncated PDUs): the server must simply survive. */
  clientCloses?: boolean;
}

const goodRq = associateRq();
const cases: Case[] = [
  { name: 'a connection that sends nothing', steps: [] },
  { name: 'one garbage byte', steps: [Buffer.from([0x42])] },
  { name: 'an unknown PDU type 0x09', steps: [pdu(0x09, Buffer.alloc(8))], answer: 0x07 },
  { name: 'PDU type 0xFF', steps: [pdu(0xff, Buffer.alloc(4))], answer: 0x07 },
  { name: 'an A-ASSOCIATE-RQ claiming 4 GiB', steps: [Buffer.concat([Buffer.from([1, 0]), u32(0xffffffff), Buffer.alloc(100)])], answer: 0x07 },
  { name: 'an A-ASSOCIATE-RQ of 70 000 bytes', steps: [pdu(0x01, Buffer.alloc(70_000))], answer: 0x07 },
  { name: 'an A-ASSOCIATE-RQ shorter than its fixed fields', steps: [pdu(0x01, Buffer.alloc(10))], answer: 0x07 },
  { name: 'a truncated A-ASSOCIATE-RQ, then silence', steps: [goodRq.subarray(0, 40)] },
  { name: 'a truncated A-ASSOCIATE-RQ, then the client leaves', steps: [goodRq.subarray(0, goodRq.length - 20)], clientCloses: true },
  { name: 'a P-DATA-TF before any association', steps: [pData(pdv(1, 0x03, Buffer.alloc(10)))], answer: 0x07 },
  { name: 'an A-RELEASE-RQ before any association', steps: [pdu(0x05, Buffer.alloc(4))], answer: 0x07 },
  { name: 'an A-ABORT before any association', steps: [pdu(0x07, Buffer.alloc(4))], answer: 0x07 },
  { name: 'an A-ASSOCIATE-AC sent to the SCP', steps: [pdu(0x02, Buffer.alloc(100))], answer: 0x07 },
  { name: 'an A-ASSOCIATE-RJ sent to the SCP', steps: [pdu(0x03, Buffer.alloc(4))], answer: 0x07 },
  { name: 'an A-ASSOCIATE-RQ of the right length full of garbage', steps: [pdu(0x01, garbage(1, 300))] },
  { name: 'an A-ASSOCIATE-RQ whose presentation context item overruns the PDU', steps: [associateRq({ contexts: [item(0x20, Buffer.alloc(8), 5000)] })] },
  { name: 'an A-ASSOCIATE-RQ with an item length of zero everywhere', steps: [associateRq({ contexts: [item(0x20, Buffer.alloc(0)), item(0x30, Buffer.alloc(0))] })] },
  { name: 'an A-ASSOCIATE-RQ with no presentation context', steps: [associateRq({ contexts: [] })] },
  { name: 'an A-ASSOCIATE-RQ with non-ASCII AE titles', steps: [associateRq({ calling: Buffer.alloc(16, 0xff) })], answer: 0x03 },
  { name: 'an A-ASSOCIATE-RQ from an unknown calling AE title proposing storage', steps: [associateRq({ calling: 'INTRUDER' })], answer: 0x03 },
  { name: 'a storage A-ASSOCIATE-RQ to another called AE title', steps: [associateRq({ called: 'SOMEONEELSE' })], answer: 0x03 },
  { name: 'a P-DATA-TF claiming 4 GiB after a good association', steps: [goodRq, 300, Buffer.concat([Buffer.from([4, 0]), u32(0xffffffff), Buffer.alloc(64)])], answer: 0x02 },
  { name: 'a P-DATA-TF shorter than one PDV header', steps: [goodRq, 300, pdu(0x04, Buffer.alloc(3))], answer: 0x02 },
  { name: 'a P-DATA-TF whose PDV item overruns it', steps: [goodRq, 300, pdu(0x04, Buffer.concat([u32(5000), Buffer.from([1, 3]), Buffer.alloc(20)]))], answer: 0x02 },
  { name: 'a PDV for a presentation context never proposed', steps: [goodRq, 300, pData(pdv(99, 0x03, cStoreCommand('1.2.3')))], answer: 0x02 },
  { name: 'a command PDV of garbage', steps: [goodRq, 300, pData(pdv(1, 0x03, garbage(2, 120)))], answer: 0x02 },
  { name: 'a second A-ASSOCIATE-RQ inside an association', steps: [goodRq, 300, goodRq], answer: 0x02 },
  { name: 'an A-RELEASE-RQ of 100 bytes', steps: [goodRq, 300, pdu(0x05, Buffer.alloc(100))], answer: 0x02 },
  { name: 'an A-ASSOCIATE-AC inside an association', steps: [goodRq, 300, pdu(0x02, Buffer.alloc(100))], answer: 0x02 },
  {
    name: 'a C-STORE whose data set stops half-way, then the client leaves',
    steps: [goodRq, 300, pData(pdv(3, 0x03, cStoreCommand('1.2.826.0.1.3680043.2.1125.99.1'))), pData(pdv(3, 0x00, Buffer.alloc(4000, 0x11)))],
    answer: 0x02,
    clientCloses: true,
  },
  {
    name: 'a C-STORE whose data set stops half-way, then silence',
    steps: [goodRq, 300, pData(pdv(3, 0x03, cStoreCommand('1.2.826.0.1.3680043.2.1125.99.2'))), pData(pdv(3, 0x00, Buffer.alloc(4000, 0x22)))],
    answer: 0x02,
  },
  { name: 'a C-STORE whose data set is garbage', steps: [goodRq, 300, pData(pdv(3, 0x03, cStoreCommand('1.2.826.0.1.3680043.2.1125.99.3'))), pData(pdv(3, 0x02, garbage(3, 2000)))], answer: 0x02 },
  ...[11, 12, 13, 14, 15, 16, 17, 18].map((seed) => ({ name: `random bytes (seed ${seed})`, steps: [garbage(seed, 16 + seed * 97)] })),
  ...[21, 22, 23].map((seed) => ({ name: `random bytes after a good association (seed ${seed})`, steps: [goodRq, 300, garbage(seed, 200 + seed * 31)], answer: 0x02 })),
];

describe('DIMSE refusals: a hostile-input corpus against our C-STORE SCP', () => {
  let server: TestServer;
  let port: number;
  let scratch: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'covseg-dimse-hostile-'));
    port = await freePort();
    server = await startTestServer({ env: { DICOM_PORT: String(port), DICOM_TIMEOUT_SECONDS: '2', DICOM_STABLE_SECONDS: '3600', DICOM_MAX_ASSOCIATIONS: '4' } });
    await server.json('/api/pacs-endpoints', { method: 'POST', body: JSON.stringify({ name: 'good', baseUrl: 'http://127.0.0.1:9/dicom-web', dicomAeTitle: GOOD }) });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it(`has a corpus of a few dozen cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  for (const testCase of cases) {
    it(`refuses ${testCase.name} and closes the connection cleanly`, async () => {
      const result = await exchange(port, testCase.steps, testCase.clientCloses ? { keepOpen: false } : {});
      if (!testCase.clientCloses) expect(result.closedByServer).toBe(true);
      if (testCase.answer !== undefined) expect(result.received[0]).toBe(testCase.answer);
      const health = await server.request('/api/health');
      expect(health.status).toBe(200);
      expect(((await health.json()) as { dicom: { listening: boolean } }).dicom.listening).toBe(true);
    });
  }

  it('releases an association whose A-RELEASE-RQ arrives one byte at a time (framing across chunks)', async () => {
    const release = pdu(0x05, Buffer.alloc(4));
    const steps: Array<Buffer | number> = [goodRq, 300];
    for (const byte of release) steps.push(Buffer.from([byte]), 20);
    const result = await exchange(port, steps);
    expect(accepted(result.received)).toBe(true);
    // A-ASSOCIATE-AC, then A-RELEASE-RP (type 6).
    const acLength = result.received.readUInt32BE(2) + 6;
    expect(result.received[acLength]).toBe(0x06);
  });

  it('survives more connections at once than DICOM_MAX_ASSOCIATIONS', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, () => exchange(port, [goodRq.subarray(0, 30)])));
    expect(results.every((r) => r.closedByServer)).toBe(true);
    expect((await server.request('/api/health')).status).toBe(200);
  });

  it('afterwards still answers C-ECHO and stores a series from a good association, leaving no partial files', async () => {
    const echo = await runDcmtk('echoscu', ['-aet', GOOD, '-aec', CALLED, '127.0.0.1', String(port)]);
    expect(echo.code, echo.output).toBe(0);
    const series = SeriesFactory.ct().slices(3).build();
    const paths = series.files.map((bytes, i) => {
      const p = join(scratch, `good-${i}.dcm`);
      writeFileSync(p, bytes);
      return p;
    });
    const store = await runDcmtk('storescu', ['-aet', GOOD, '-aec', CALLED, '127.0.0.1', String(port), ...paths]);
    expect(store.code, store.output).toBe(0);
    const endpointDirs = readdirSync(join(server.dataDir, 'dimse', 'series'));
    expect(endpointDirs).toHaveLength(1);
    expect(readdirSync(join(server.dataDir, 'dimse', 'series', endpointDirs[0], series.seriesInstanceUID))).toHaveLength(3);
    expect(readdirSync(join(server.dataDir, 'dimse', 'incoming'))).toEqual([]);
  });
});
