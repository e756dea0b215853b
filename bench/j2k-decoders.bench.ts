// node scripts/run-ts.mjs bench/j2k-decoders.bench.ts [--series DIR|NAME] [--rounds N] — what JPEG 2000
// decoding costs per slice with each decoder this machine can offer, and whether each gives the same HU.
// Default series: lidc-0001-j2k-lossless (the bench set's 133 slices, GDCM's JPEG 2000 lossless .4.90).
//
// Decoders (a native one that is not installed is reported as such, not measured):
//   wasm          @cornerstonejs/codec-openjpeg (the server's decoder), in this process, one thread;
//   grok-batch-N  Debian's Grok 10 (`grk_decompress`, package grokj2k-tools): one process over a folder of
//                 codestreams (-y/-a), raw little-endian output (-O rawl), N library threads (-H N);
//   grok-file     the same, one process per codestream (what a per-frame child would cost);
//   opj-batch-N   Debian's OpenJPEG 2.5 (`opj_decompress`, package libopenjp2-tools): -ImgDir, -OutFor RAWL,
//                 -threads N;
//   opj-file      one opj_decompress per codestream.
// CPU is user + system of this process (wasm) or of the children (`times` of the bash that runs them),
// divided by the slices; wall is the whole batch. Every round runs every decoder, in a rotated order, so
// load changes spread over all of them (the machine is shared: report `uptime` with the figures).
//
// Exactness: each native output is read as the header's stored values and compared sample by sample
// with the WASM decode, and the HU of each decoder are rescaled into one volume sorted along the slice
// normal exactly as a job builds it (CtVolumeStream + FrameDecodePool gives the reference), whose SHA-256
// is printed (`36e9ad75…` on lidc-0001-j2k-lossless, as in docs/PERFORMANCE.md).
// The last stdout line is one JSON object: {"series","slices","loadAverage","reference","decoders":{name:{…}}}.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CtVolumeStream, type DicomInstance, FrameDecodePool, parseDicom, rescaleInto, type StoredPixels } from '@covseg/dicom';
import { benchSeries, benchSeriesNames, dicomFiles, type BenchSeriesName } from './bench-set';

interface Measured {
  cpuMsPerSlice: number[];
  wallSeconds: number[];
  identicalFrames?: number;
  huSha256?: string;
  missing?: string;
}

function arg(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

function installed(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Runs `script` in bash and returns the CPU seconds (user + system) of its children, from bash's `times`. */
function childCpuSeconds(script: string): number {
  const out = execFileSync('bash', ['-c', `${script} >/dev/null 2>&1; times`], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const last = out.trim().split('\n').pop()!;
  const seconds = [...last.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  if (seconds.length !== 2) throw new Error(`Unexpected output of bash times: ${last}`);
  return seconds[0]! + seconds[1]!;
}

function storedValuesOf(raw: Buffer, instance: DicomInstance): StoredPixels {
  const pixel = instance.pixel!;
  if (pixel.bitsAllocated !== 16 || pixel.bitsStored !== 16) throw new Error(`This bench reads 16-bit samples only (SOP Instance ${instance.sopInstanceUID} has ${pixel.bitsStored} of ${pixel.bitsAllocated})`);
  const copy = new Uint8Array(raw.byteLength);
  copy.set(raw);
  return pixel.pixelRepresentation === 1 ? new Int16Array(copy.buffer) : new Uint16Array(copy.buffer);
}

function sameSamples(a: StoredPixels, b: StoredPixels): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function main(): Promise<void> {
  const value = arg('--series') ?? 'lidc-0001-j2k-lossless';
  const dir = (benchSeriesNames as readonly string[]).includes(value) ? await benchSeries(value as BenchSeriesName) : resolve(value);
  const rounds = Number(arg('--rounds') ?? 2);
  const files = dicomFiles(dir);
  const instances = files.map((file) => parseDicom(readFileSync(file)));
  const work = mkdtempSync(join(tmpdir(), 'covseg-j2k-bench-'));
  const pool = new FrameDecodePool({ threads: 2 });
  try {
    // The reference: the HU volume exactly as a job builds it.
    const stream = new CtVolumeStream({ pool, expectedSlices: files.length });
    for (const file of files) await stream.add(readFileSync(file));
    const volume = await stream.finish();
    const sha = (hu: Int16Array) => createHash('sha256').update(new Uint8Array(hu.buffer, hu.byteOffset, hu.byteLength)).digest('hex');
    const reference = sha(volume.hu);
    const plane = volume.hu.length / volume.geometry.slices;
    const zOf = new Map(volume.slices.map((s, z) => [s.sopInstanceUID, z]));

    // Codestreams, one file per slice, named by index.
    const codestreams = join(work, 'codestreams');
    mkdirSync(codestreams);
    instances.forEach((instance, i) => {
      const frame = instance.encodedFrame(0);
      if (frame?.encoding !== 'jpeg-2000') throw new Error(`SOP Instance ${instance.sopInstanceUID} is not JPEG 2000 (${instance.transferSyntaxUID})`);
      writeFileSync(join(codestreams, `${String(i).padStart(6, '0')}.j2k`), frame.bytes);
    });
    const names = readdirSync(codestreams).sort();

    const wasmStored: StoredPixels[] = [];
    const results: Record<string, Measured> = {};
    const huOf = (stored: (i: number) => StoredPixels): string => {
      const hu = new Int16Array(volume.hu.length);
      instances.forEach((instance, i) => {
        const z = zOf.get(instance.sopInstanceUID)!;
        rescaleInto(stored(i), instance, hu.subarray(z * plane, (z + 1) * plane));
      });
      return sha(hu);
    };

    const native = (name: string, command: string, run: (out: string) => string): void => {
      const result = (results[name] ??= { cpuMsPerSlice: [], wallSeconds: [] });
      if (!installed(command)) {
        result.missing = `${command} is not installed`;
        return;
      }
      const out = join(work, name);
      rmSync(out, { recursive: true, force: true });
      mkdirSync(out);
      const script = run(out);
      const started = performance.now();
      const cpu = childCpuSeconds(script);
      result.wallSeconds.push((performance.now() - started) / 1000);
      result.cpuMsPerSlice.push((cpu * 1000) / names.length);
      const stored = names.map((n, i) => storedValuesOf(readFileSync(join(out, n.replace(/\.j2k$/, '.rawl'))), instances[i]!));
      result.identicalFrames = stored.filter((s, i) => sameSamples(s, wasmStored[i]!)).length;
      result.huSha256 = huOf((i) => stored[i]!);
      rmSync(out, { recursive: true, force: true });
    };

    const decoders: Record<string, () => Promise<void> | void> = {
      wasm: async () => {
        const result = (results.wasm ??= { cpuMsPerSlice: [], wallSeconds: [] });
        await instances[0]!.decodeFrame(0); // the codec's one-time load and compile are not per slice
        const started = performance.now();
        const before = process.cpuUsage();
        const stored: StoredPixels[] = [];
        for (const instance of instances) stored.push(await instance.decodeFrame(0));
        const used = process.cpuUsage(before);
        result.wallSeconds.push((performance.now() - started) / 1000);
        result.cpuMsPerSlice.push((used.user + used.system) / 1000 / instances.length);
        wasmStored.splice(0, wasmStored.length, ...stored);
        result.identicalFrames = stored.length;
        result.huSha256 = huOf((i) => stored[i]!);
      },
      'grok-batch-1': () => native('grok-batch-1', 'grk_decompress', (out) => `grk_decompress -y ${codestreams} -a ${out} -O rawl -H 1`),
      'grok-batch-2': () => native('grok-batch-2', 'grk_decompress', (out) => `grk_decompress -y ${codestreams} -a ${out} -O rawl -H 2`),
      'grok-file': () =>
        native('grok-file', 'grk_decompress', (out) => `for f in ${codestreams}/*.j2k; do grk_decompress -i "$f" -o ${out}/$(basename "$f" .j2k).rawl -H 1 || exit 1; done`),
      // opj_decompress writes next to its inputs when given a folder: copy the codestreams first (not timed).
      'opj-batch-1': () => native('opj-batch-1', 'opj_decompress', (out) => (copyAll(codestreams, out), `opj_decompress -ImgDir ${out} -OutFor RAWL -threads 1 -quiet`)),
      'opj-batch-2': () => native('opj-batch-2', 'opj_decompress', (out) => (copyAll(codestreams, out), `opj_decompress -ImgDir ${out} -OutFor RAWL -threads 2 -quiet`)),
      'opj-file': () =>
        native('opj-file', 'opj_decompress', (out) => `for f in ${codestreams}/*.j2k; do opj_decompress -i "$f" -o ${out}/$(basename "$f" .j2k).rawl -threads 1 -quiet || exit 1; done`),
    };
    const order = Object.keys(decoders);
    for (let round = 0; round < rounds; round++) {
      // wasm first in every round (the others are compared with its samples), the rest rotated.
      const rest = order.slice(1);
      const rotated = [...rest.slice(round % rest.length), ...rest.slice(0, round % rest.length)];
      for (const name of ['wasm', ...rotated]) {
        await decoders[name]!();
        const r = results[name]!;
        if (r.missing) continue;
        process.stderr.write(`round ${round + 1} ${name.padEnd(13)} ${r.cpuMsPerSlice.at(-1)!.toFixed(1).padStart(6)} ms CPU/slice  ${r.wallSeconds.at(-1)!.toFixed(2).padStart(6)} s wall  identical ${r.identicalFrames}/${names.length}  load ${loadavg()[0]!.toFixed(2)}\n`);
      }
    }
    process.stdout.write(`series ${value}: ${names.length} slices; reference HU SHA-256 (CtVolumeStream + FrameDecodePool) ${reference}\n`);
    process.stdout.write(`${'decoder'.padEnd(14)}${'ms CPU/slice'.padStart(16)}${'wall s'.padStart(14)}  identical  HU SHA-256\n`);
    for (const name of order) {
      const r = results[name]!;
      if (r.missing) {
        process.stdout.write(`${name.padEnd(14)}  ${r.missing}\n`);
        continue;
      }
      const range = (xs: number[], digits: number) => `${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)}`;
      const same = r.huSha256 === reference ? 'same' : 'DIFFERENT';
      process.stdout.write(
        `${name.padEnd(14)}${range(r.cpuMsPerSlice, 1).padStart(16)}${range(r.wallSeconds, 2).padStart(14)}  ${`${r.identicalFrames}/${names.length}`.padStart(9)}  ${r.huSha256!.slice(0, 16)}… ${same}\n`,
      );
      if (r.huSha256 !== reference) process.exitCode = 1;
    }
    process.stdout.write(`${JSON.stringify({ series: value, slices: names.length, loadAverage: loadavg()[0], reference, decoders: results })}\n`);
  } finally {
    await pool.close();
    rmSync(work, { recursive: true, force: true });
  }
}

function copyAll(from: string, to: string): void {
  for (const name of readdirSync(from)) copyFileSync(join(from, name), join(to, name));
}

main().catch((error: unknown) => {
  process.stderr.write(`j2k-decoders: FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
