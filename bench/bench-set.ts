// The bench set: series that look like what hospitals send, built from ../shared/data and cached under
// .var/bench (gitignored). `node scripts/run-ts.mjs bench/bench-set.ts` builds what is missing and
// prints one line per series: name, slices, transfer syntax, folder.
//
//   lidc-0001                LIDC-IDRI-0001 as stored: 133 slices, 2.5 mm, Explicit VR Little Endian
//   lidc-0001-jpeg-lossless  the same, transcoded by dcmtk's dcmcjpeg (JPEG Lossless SV1, .4.70)
//   lidc-0001-j2k-lossless   the same, transcoded by GDCM's gdcmconv --j2k (JPEG 2000 lossless, .4.90)
//   lidc-0001-htj2k          the same, re-encoded by Grok's grk_compress -M 64 (HTJ2K Lossless, .4.201;
//                            tests/support/htj2k.ts)
//   lidc-0002                LIDC-IDRI-0002 as stored: 261 slices, 1.25 mm
//   lidc-0001-thin-600       LIDC-IDRI-0001 linearly interpolated along z to 600 slices (0.551 mm)
//
// The thin series keeps the source's in-plane geometry and gets new Series/SOP Instance UIDs,
// ImagePositionPatient on the new grid, SliceThickness and SpacingBetweenSlices equal to the new step,
// ImageType DERIVED\SECONDARY and a DerivationDescription saying what was done. 600 slices over the
// source's 330 mm is a 0.551 mm step: a 0.6 mm grid over the same extent would only give 551 slices,
// and slices beyond the scanned range would be invented.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import dcmjs from 'dcmjs';
import { newUid, parseDicom } from '@covseg/dicom';
import { transcodeToHtj2k } from '../tests/support/htj2k';
import { repoRoot } from '../tests/support/server';

export const benchRoot = join(repoRoot, '.var/bench');
const shared = resolve(repoRoot, '../shared/data/ct');
const committed0001 = join(repoRoot, 'tests/fixtures/ct/lidc-idri-0001/lidc-idri-0001.tar.xz');

export const benchSeriesNames = ['lidc-0001', 'lidc-0001-jpeg-lossless', 'lidc-0001-j2k-lossless', 'lidc-0001-htj2k', 'lidc-0002', 'lidc-0001-thin-600'] as const;
export type BenchSeriesName = (typeof benchSeriesNames)[number];

const log = (message: string) => process.stderr.write(`bench-set: ${message}\n`);

export function dicomFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.dcm'))
    .sort()
    .map((f) => join(dir, f));
}

/** Builds `dir` through `make(tmp)` into a temporary folder first, so an interrupted build is never taken as done. */
async function buildOnce(dir: string, make: (tmp: string) => void | Promise<void>): Promise<string> {
  if (existsSync(dir)) return dir;
  const tmp = `${dir}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await make(tmp);
  renameSync(tmp, dir);
  return dir;
}

function unpack(archive: string, inner: string, name: string): Promise<string> {
  return buildOnce(join(benchRoot, name), (tmp) => {
    log(`unpacking ${archive}`);
    execFileSync('tar', ['-xJf', archive, '-C', tmp]);
    for (const file of readdirSync(join(tmp, inner))) renameSync(join(tmp, inner, file), join(tmp, file));
    rmSync(join(tmp, inner), { recursive: true });
  });
}

function transcode(source: string, name: string, tool: string, args: (input: string, output: string) => string[]): Promise<string> {
  return buildOnce(join(benchRoot, name), (tmp) => {
    log(`${name}: ${tool} over ${source}`);
    for (const file of dicomFiles(source)) execFileSync(tool, args(file, join(tmp, file.slice(source.length + 1))), { stdio: ['ignore', 'ignore', 'inherit'] });
  });
}

/** Linear interpolation of stored values along the slice normal onto `count` evenly spaced slices. */
function interpolate(source: string, name: string, count: number): Promise<string> {
  return buildOnce(join(benchRoot, name), async (tmp) => {
    const files = dicomFiles(source);
    const slices = files
      .map((file) => {
        const instance = parseDicom(new Uint8Array(readFileSync(file)));
        const position = (instance.dataset.ImagePositionPatient as number[]).map(Number);
        return { file, instance, z: position[2]! };
      })
      .sort((a, b) => a.z - b.z);
    const first = slices[0]!;
    const last = slices[slices.length - 1]!;
    const step = (last.z - first.z) / (count - 1);
    log(`${name}: ${slices.length} slices -> ${count} at ${step.toFixed(4)} mm`);
    const seriesUid = newUid();
    const stored = new Map<number, Int16Array>();
    const storedOf = async (k: number) => {
      let values = stored.get(k);
      if (!values) {
        const decoded = await slices[k]!.instance.decodeFrame(0);
        values = decoded instanceof Int16Array ? decoded : Int16Array.from(decoded);
        stored.set(k, values);
        stored.delete(k - 2);
      }
      return values;
    };
    const template = dcmjs.data.DicomMessage.readFile(toArrayBuffer(readFileSync(first.file)));
    // Naturalized once: dcmjs warns on every private tag each time it naturalizes.
    const templateDataset = dcmjs.data.DicomMetaDictionary.naturalizeDataset(template.dict);
    const templateMeta = dcmjs.data.DicomMetaDictionary.naturalizeDataset(template.meta);
    {
      let k = 0;
      for (let n = 0; n < count; n++) {
        const z = n === count - 1 ? last.z : first.z + n * step;
        while (k < slices.length - 2 && slices[k + 1]!.z <= z) k++;
        const a = slices[k]!;
        const b = slices[k + 1]!;
        const w = Math.min(1, Math.max(0, (z - a.z) / (b.z - a.z)));
        const [va, vb] = [await storedOf(k), await storedOf(k + 1)];
        const out = new Int16Array(va.length);
        for (let i = 0; i < out.length; i++) out[i] = Math.round(va[i]! * (1 - w) + vb[i]! * w);
        const dataset: Record<string, unknown> = { ...templateDataset };
        const position = (a.instance.dataset.ImagePositionPatient as number[]).map(Number);
        const sop = newUid();
        Object.assign(dataset, {
          SeriesInstanceUID: seriesUid,
          SOPInstanceUID: sop,
          SeriesNumber: 9600,
          SeriesDescription: `LIDC-IDRI-0001 interpolated to ${count} slices (bench)`,
          InstanceNumber: n + 1,
          ImagePositionPatient: [position[0], position[1], Number(z.toFixed(4))],
          SliceLocation: Number(z.toFixed(4)),
          SliceThickness: Number(step.toFixed(4)),
          SpacingBetweenSlices: Number(step.toFixed(4)),
          ImageType: ['DERIVED', 'SECONDARY', 'AXIAL'],
          DerivationDescription: 'Linear interpolation along z of LIDC-IDRI-0001 (2.5 mm) for a thin-slice benchmark; not an acquisition',
          PixelData: out.buffer,
        });
        delete dataset.PixelPaddingValue;
        const meta = { ...templateMeta, MediaStorageSOPInstanceUID: sop };
        const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
        dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(dataset);
        writeFileSync(join(tmp, `${String(n + 1).padStart(6, '0')}.dcm`), Buffer.from(dict.write()));
      }
    }
  });
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Builds (once) and returns the folder of one bench series. */
export async function benchSeries(name: BenchSeriesName): Promise<string> {
  mkdirSync(benchRoot, { recursive: true });
  // dcmcjpeg (dcmtk) and gdcmconv (libgdcm-tools) come from Debian; installs them as root, names them otherwise.
  execFileSync('bash', [join(repoRoot, 'scripts/setup-system.sh'), 'bench'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const archive0001 = existsSync(join(shared, 'lidc-idri-0001.tar.xz')) ? join(shared, 'lidc-idri-0001.tar.xz') : committed0001;
  const sample = () => unpack(archive0001, 'lidc-idri-0001-chest-ct', 'lidc-0001');
  switch (name) {
    case 'lidc-0001':
      return sample();
    case 'lidc-0001-jpeg-lossless':
      return transcode(await sample(), name, 'dcmcjpeg', (i, o) => [i, o]);
    case 'lidc-0001-j2k-lossless':
      return transcode(await sample(), name, 'gdcmconv', (i, o) => ['--j2k', i, o]);
    case 'lidc-0001-htj2k': {
      const source = await sample();
      return buildOnce(join(benchRoot, name), async (tmp) => {
        log(`${name}: grk_compress -M 64 over ${source}`);
        for (const file of dicomFiles(source)) {
          writeFileSync(join(tmp, file.slice(source.length + 1)), await transcodeToHtj2k(new Uint8Array(readFileSync(file))));
        }
      });
    }
    case 'lidc-0002':
      return unpack(join(shared, 'lidc-idri-0002.tar.xz'), 'lidc-idri-0002-chest-ct', 'lidc-0002');
    case 'lidc-0001-thin-600':
      return interpolate(await sample(), name, 600);
  }
}

async function main(): Promise<void> {
  for (const name of benchSeriesNames) {
    const dir = await benchSeries(name);
    const files = dicomFiles(dir);
    const ts = parseDicom(new Uint8Array(readFileSync(files[0]!))).transferSyntaxUID;
    process.stdout.write(`${name.padEnd(26)} ${String(files.length).padStart(4)} slices  ${ts.padEnd(22)} ${dir}\n`);
  }
}

if (process.argv[1] === __filename) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench-set: FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
