import { readFileSync } from 'node:fs';
import { DefaultSegmentColors, parseDicom, SegmentCodes, type SegSourceSlice, writeBinarySeg } from '@covseg/dicom';
import { lidcSlicePaths } from './lidc-fixture';
import type { TestServer } from './server';
import { segSourceOf } from './jobs';

export const LIDC_STUDY = '1.3.6.1.4.1.14519.5.2.1.6279.6001.298806137288633453246975630178';
export const LIDC_SERIES = '1.3.6.1.4.1.14519.5.2.1.6279.6001.179049373636438705059720603192';

export interface AiSegFixture {
  /** The CT slices as files, in volume order. */
  paths: string[];
  source: SegSourceSlice[];
  rows: number;
  columns: number;
  bytes: Uint8Array;
  seriesInstanceUID: string;
  sopInstanceUID: string;
  /** The infection and lung labelmaps the SEG holds (slice-major, in `source` order). */
  infection: Uint8Array;
  lung: Uint8Array;
}

/**
 * An "AI" SEG exactly as the server's job writes it (segment 1 infection, segment 2 lung, ContentLabel
 * COVSEG, SeriesDescription `<model> <version> infection+lung`) over the first `count` LIDC slices:
 * a lung ellipse on every slice and an infection disc on the middle ones. Built here instead of by a
 * job so correction tests do not pay for inference; the job path has its own tests.
 */
export function aiSegOverLidc(count: number): AiSegFixture {
  const paths = lidcSlicePaths().slice(0, count);
  const instances = paths.map((path) => parseDicom(new Uint8Array(readFileSync(path))));
  const source = instances.map(segSourceOf);
  const rows = Number(instances[0]!.dataset.Rows);
  const columns = Number(instances[0]!.dataset.Columns);
  const lung = new Uint8Array(count * rows * columns);
  const infection = new Uint8Array(count * rows * columns);
  for (let z = 0; z < count; z++) {
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < columns; x++) {
        const i = z * rows * columns + y * columns + x;
        if (((x - 256) / 200) ** 2 + ((y - 256) / 150) ** 2 <= 1) lung[i] = 1;
        if (z >= 2 && z < count - 2 && (x - 180) ** 2 + (y - 240) ** 2 <= 30 ** 2) infection[i] = 1;
      }
    }
  }
  const written = writeBinarySeg({
    sourceSlices: source,
    header: instances[0]!.dataset as Record<string, unknown>,
    algorithm: { name: 'covseg-unet', version: '1.1.0' },
    seriesDescription: 'covseg-unet 1.1.0 infection+lung',
    seriesNumber: 9000,
    contentLabel: 'COVSEG',
    contentDescription: 'COVID-19 infection and lung, automatic',
    segments: [
      { label: 'COVID-19 infection', category: SegmentCodes.morphologicallyAbnormalStructure, type: SegmentCodes.lesion, anatomicRegion: SegmentCodes.lung, recommendedDisplayRgb: DefaultSegmentColors.infection, labelmap: infection },
      { label: 'Lung', category: SegmentCodes.anatomicalStructure, type: SegmentCodes.lung, recommendedDisplayRgb: DefaultSegmentColors.lung, labelmap: lung },
    ],
  });
  return { paths, source, rows, columns, bytes: written.bytes, seriesInstanceUID: written.seriesInstanceUID, sopInstanceUID: written.sopInstanceUID, infection, lung };
}

/** A new token of `role` issued by the test admin; returns the bearer token. */
export async function issueToken(server: TestServer, role: 'admin' | 'reviewer' | 'user', label: string): Promise<string> {
  const issued = await server.json<{ token: string }>('/api/auth/tokens', { method: 'POST', body: JSON.stringify({ role, label }) });
  return issued.token;
}

/** Run lengths of one slice as the overlays and corrections APIs take them (uint32 LE, base64). */
export function sliceRuns(mask: Uint8Array): string | undefined {
  const runs: number[] = [];
  let current = 0;
  let start = 0;
  for (let i = 0; i < mask.length; i++) {
    const value = mask[i] ? 1 : 0;
    if (value === current) continue;
    runs.push(i - start);
    start = i;
    current = value;
  }
  if (runs.length === 0) return undefined;
  runs.push(mask.length - start);
  const bytes = Buffer.alloc(runs.length * 4);
  runs.forEach((run, i) => bytes.writeUInt32LE(run, i * 4));
  return bytes.toString('base64');
}
