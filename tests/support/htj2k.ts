// Re-encodes an uncompressed single-frame DICOM file as High-Throughput JPEG 2000 (Part 15) with Grok's
// `grk_compress -M 64` (Debian package grokj2k-tools; bench and fixture making only, never at run time):
//   lossless (reversible 5/3): HTJ2K Lossless, 1.2.840.10008.1.2.4.201, same SOP Instance UID;
//   lossy (irreversible 9/7, -r RATIO): HTJ2K, 1.2.840.10008.1.2.4.203, a new SOP Instance UID and
//   LossyImageCompression 01 with its ratio and method (PS3.3 C.7.6.1.1.5).
// Used by bench/bench-set.ts (lidc-0001-htj2k), tests/medium/htj2k-job.test.ts and, as a CLI, to make tests/fixtures/transfer-syntaxes/htj2k:
//   node scripts/run-ts.mjs tests/support/htj2k.ts IN.dcm OUT.dcm [--lossy RATIO]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import { newUid, parseDicom } from '@covseg/dicom';

export const HTJ2K_LOSSLESS = '1.2.840.10008.1.2.4.201';
export const HTJ2K = '1.2.840.10008.1.2.4.203';

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export async function transcodeToHtj2k(input: Uint8Array, options: { lossyRatio?: number } = {}): Promise<Uint8Array> {
  const instance = parseDicom(input);
  const pixel = instance.pixel;
  if (!pixel || pixel.numberOfFrames !== 1 || pixel.samplesPerPixel !== 1 || pixel.bitsAllocated !== 16) {
    throw new Error(`HTJ2K transcoding takes one frame of 16-bit grey samples (SOP Instance ${instance.sopInstanceUID})`);
  }
  const stored = await instance.decodeFrame(0);
  const work = mkdtempSync(join(tmpdir(), 'covseg-htj2k-'));
  let codestream: Uint8Array;
  try {
    const raw = join(work, 'frame.rawl');
    const out = join(work, 'frame.j2k');
    writeFileSync(raw, new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength));
    const signed = pixel.pixelRepresentation === 1 ? 's' : 'u';
    const lossy = options.lossyRatio !== undefined ? ['-I', '-r', String(options.lossyRatio)] : [];
    execFileSync('grk_compress', ['-i', raw, '-F', `${pixel.columns},${pixel.rows},1,${pixel.bitsStored},${signed}`, '-M', '64', ...lossy, '-o', out], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    codestream = new Uint8Array(readFileSync(out));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // dcmjs warns about every private tag it naturalizes (LIDC's CTP group, GE's): not news here.
  const level = dcmjs.log.getLevel();
  dcmjs.log.setLevel('error');
  const message = dcmjs.data.DicomMessage.readFile(toArrayBuffer(input));
  const meta = dcmjs.data.DicomMetaDictionary.naturalizeDataset(message.meta);
  const dataset = dcmjs.data.DicomMetaDictionary.naturalizeDataset(message.dict);
  meta.TransferSyntaxUID = options.lossyRatio !== undefined ? HTJ2K : HTJ2K_LOSSLESS;
  if (options.lossyRatio !== undefined) {
    const sop = newUid();
    dataset.SOPInstanceUID = sop;
    meta.MediaStorageSOPInstanceUID = sop;
    dataset.LossyImageCompression = '01';
    dataset.LossyImageCompressionRatio = options.lossyRatio;
    dataset.LossyImageCompressionMethod = 'ISO_15444_15';
  }
  dataset.PixelData = [toArrayBuffer(codestream)];
  dataset._vrMap = { PixelData: 'OB' };
  const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(dataset);
  const written = new Uint8Array(dict.write({ fragmentMultiframe: false }));
  dcmjs.log.setLevel(level);
  return written;
}

if (process.argv[1]?.endsWith('support/htj2k.ts')) {
  const [input, output] = process.argv.slice(2);
  const at = process.argv.indexOf('--lossy');
  if (!input || !output) throw new Error('Usage: tests/support/htj2k.ts IN.dcm OUT.dcm [--lossy RATIO]');
  const lossyRatio = at >= 0 ? Number(process.argv[at + 1]) : undefined;
  void transcodeToHtj2k(new Uint8Array(readFileSync(input)), { lossyRatio }).then((bytes) => writeFileSync(output, bytes));
}
