// node scripts/run-ts.mjs bench/image-io.bench.ts — image I/O of the upload flow and the evaluation:
// decoding PNG (8-bit grey, 8-bit RGB) and JPEG uploads to grey, and encoding the grey image, mask and
// side-by-side PNGs, at the sizes users send (512² CT exports, 1024² screenshots). Prints the median and
// p95 per call and the process's peak RSS. Inputs are made with sharp so the same files feed every
// implementation; the functions are awaited, so a synchronous implementation measures the same way.
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { decodeGrayImage, encodePng } from '@covseg/segmentation';

const ROUNDS = Number(process.env.ROUNDS ?? 30);

function texture(width: number, height: number, channels: 1 | 3): Uint8Array {
  // A CT-like picture: smooth body, noisy lungs; compresses like a real slice, unlike noise or flat grey.
  const out = new Uint8Array(width * height * channels);
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / width - 0.5;
      const v = y / height - 0.5;
      const body = (u / 0.45) ** 2 + (v / 0.35) ** 2 <= 1;
      const lung = ((Math.abs(u) - 0.2) / 0.16) ** 2 + (v / 0.25) ** 2 <= 1;
      const value = !body ? 0 : lung ? 40 + random() * 50 : 150 + random() * 10;
      for (let c = 0; c < channels; c++) out[(y * width + x) * channels + c] = value;
    }
  }
  return out;
}

async function time(label: string, run: () => unknown): Promise<void> {
  await run(); // warm-up: codec initialisation, JIT
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)]!;
  const p95 = samples[Math.min(samples.length - 1, Math.floor(samples.length * 0.95))]!;
  console.log(`${label.padEnd(44)} median ${median.toFixed(2).padStart(7)} ms   p95 ${p95.toFixed(2).padStart(7)} ms`);
}

function peakRssMb(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
}

async function main(): Promise<void> {
  console.log(`image-io bench, ${ROUNDS} rounds per line, Node ${process.version}`);
  for (const side of [512, 1024]) {
    const grey = texture(side, side, 1);
    const rgb = texture(side, side, 3);
    const raw = (pixels: Uint8Array, channels: 1 | 3) => sharp(pixels, { raw: { width: side, height: side, channels } });
    const greyPng = await raw(grey, 1).png().toBuffer();
    const rgbPng = await raw(rgb, 3).png().toBuffer();
    const jpeg = await raw(rgb, 3).jpeg({ quality: 90 }).toBuffer();
    await time(`decode ${side}² grey PNG (${(greyPng.length / 1024).toFixed(0)} KiB)`, () => decodeGrayImage(greyPng));
    await time(`decode ${side}² RGB PNG (${(rgbPng.length / 1024).toFixed(0)} KiB)`, () => decodeGrayImage(rgbPng));
    await time(`decode ${side}² JPEG q90 (${(jpeg.length / 1024).toFixed(0)} KiB)`, () => decodeGrayImage(jpeg));
    await time(`encode ${side}² grey PNG`, () => encodePng(grey, side, side, 1));
    const mask = grey.map((v) => (v > 100 ? 255 : 0));
    await time(`encode ${side}² mask PNG`, () => encodePng(mask, side, side, 1));
    const panel = texture(3 * side, side, 3);
    await time(`encode ${3 * side}x${side} side-by-side RGB PNG`, () => encodePng(panel, 3 * side, side, 3));
  }
  const greyPng = await sharp(texture(512, 512, 1), { raw: { width: 512, height: 512, channels: 1 } }).png().toBuffer();
  const out = await encodePng(texture(512, 512, 1), 512, 512, 1);
  console.log(`PNG sizes, 512² grey: sharp-made input ${greyPng.length} B, encodePng output ${out.length} B`);
  console.log(`peak RSS ${peakRssMb()} MB`);
}

void main();
