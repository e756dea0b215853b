import { DicomError, UnsupportedTransferSyntaxError } from '../errors';
import type { FrameDecodePool } from '../parsing/decode-pool';
import type { DicomInstance } from '../parsing/dicom-instance';
import { parseDicom, type ParseOptions } from '../parsing/parse-dicom';
import { assembleCtVolume, buildCtVolume, planCtVolume } from './build-ct-volume';
import type { BuildCtVolumeOptions, CtVolume } from './ct-volume';
import { requireRescale } from './physical-ranges';
import { applyModalityLut } from './rescale';
import { reject } from './slice-geometry';

export interface CtVolumeStreamOptions extends BuildCtVolumeOptions {
  /** Where encapsulated frames (and native ones, if the pool takes them) are decoded; without a pool, on this thread. */
  readonly pool?: FrameDecodePool;
  /** Instances expected (e.g. QIDO NumberOfSeriesRelatedInstances): the volume is allocated once at this size. */
  readonly expectedSlices?: number;
  readonly parse?: ParseOptions;
}

interface Streamed {
  /** The instance without its pixel bytes once they were handed to the decoder. */
  readonly instance: DicomInstance;
  /** Slot (arrival order) of its HU in the volume buffer; -1 when the instance is kept whole. */
  readonly slot: number;
}

/**
 * Builds a CT volume from Part 10 files as they arrive (a WADO-RS multipart stream), with the same
 * checks, order and HU as {@link buildCtVolume}: each single-frame slice is parsed at once and decoded
 * straight into its slot of one int16 buffer (in a worker thread when a pool is given), and its pixel
 * bytes are dropped. `finish()` sorts the slots in place along the slice normal. So the series is held
 * once, as int16 HU, plus the frames in flight; the whole response body never is.
 *
 * Anything that is not a plain single-frame slice (multi-frame, no pixel data, a frame size or rescale
 * that differs) is kept whole and judged by buildCtVolume's own rules at `finish()`.
 */
export class CtVolumeStream {
  private entries: Streamed[] = [];
  private buffer: SharedArrayBuffer | undefined;
  private capacity = 0;
  private plane = 0;
  private slots = 0;
  private inFlight = new Set<Promise<void>>();
  private failure: unknown;
  private syntaxes = new Map<string, number>();

  constructor(private readonly options: CtVolumeStreamOptions = {}) {}

  /** Slices received so far. */
  get received(): number {
    return this.entries.length;
  }

  /** How many of the instances received so far came in each transfer syntax (what the PACS really sent). */
  get transferSyntaxes(): Record<string, number> {
    return Object.fromEntries(this.syntaxes);
  }

  /**
   * Parses one Part 10 file and starts decoding it. `bytes` is read here (and, for encapsulated
   * frames, handed over to a worker): do not modify it afterwards.
   * @throws DicomParseError, UnsupportedTransferSyntaxError at once; decode errors surface in `finish()`.
   */
  async add(bytes: Uint8Array): Promise<void> {
    const instance = parseDicom(bytes, this.options.parse);
    this.syntaxes.set(instance.transferSyntaxUID, (this.syntaxes.get(instance.transferSyntaxUID) ?? 0) + 1);
    const pixel = instance.pixel;
    const rescale = pixel && instance.frames() === 1 ? tryRescale(instance) : undefined;
    if (!pixel || !rescale || (this.plane !== 0 && pixel.rows * pixel.columns !== this.plane)) {
      this.entries.push({ instance, slot: -1 });
      return;
    }
    const slot = await this.allocateSlot(pixel.rows * pixel.columns);
    // The frame's decode and Modality LUT run in the pool when there is one: encapsulated frames always,
    // native ones when the pool takes them (FrameDecodePoolOptions.uncompressed).
    const frame = instance.encodedFrame(0) ?? (this.options.pool?.uncompressed ? instance.nativeFrame(0) : undefined);
    const buffer = this.buffer!;
    const offset = slot * this.plane;
    const decoding = frame && this.options.pool
      ? this.options.pool.decodeInto(frame, rescale.slope, rescale.intercept, buffer, offset)
      : instance.decodeFrame(0).then((stored) => applyModalityLut(stored, rescale.slope, rescale.intercept, new Int16Array(buffer, offset * 2, this.plane)));
    const tracked: Promise<void> = decoding.then(
      () => void this.inFlight.delete(tracked),
      (error: unknown) => {
        this.inFlight.delete(tracked);
        this.failure ??= { error, sopInstanceUID: instance.sopInstanceUID };
      },
    );
    this.inFlight.add(tracked);
    this.entries.push({ instance: instance.withoutPixelBytes(), slot });
  }

  /** Drops everything received (a retried request sends the series again from its start). */
  async reset(): Promise<void> {
    await Promise.all(this.inFlight);
    this.entries = [];
    this.slots = 0;
    this.failure = undefined;
    this.syntaxes.clear();
  }

  /**
   * Waits for the decodes in flight and returns the volume, sorted along the slice normal.
   * @throws SeriesRejectedError, PixelDecodeError, DicomError exactly where buildCtVolume would.
   */
  async finish(): Promise<CtVolume> {
    await Promise.all(this.inFlight);
    const instances = this.entries.map((e) => e.instance);
    const kept = this.entries.filter((e) => e.slot < 0).map((e) => e.instance);
    if (kept.length === this.entries.length) return buildCtVolume(kept, this.options);
    const plan = planCtVolume(instances, this.options);
    for (const instance of kept) {
      // Single-frame with pixel data and the same size as the rest: what kept it whole is its rescale.
      requireRescale(instance);
      reject(`Building a CT volume failed: SOP Instance ${instance.sopInstanceUID} is multi-frame among single-frame slices`, 'mixed-geometry');
    }
    if (this.failure) throwDecodeFailure(this.failure as { error: unknown; sopInstanceUID: string });
    const slotOf = new Map(this.entries.map((e) => [e.instance, e.slot]));
    const hu = this.sortedVolume(plan.ordered.map((g) => slotOf.get(g.instance)!));
    this.entries = [];
    this.buffer = undefined;
    return assembleCtVolume(hu, plan);
  }

  private async allocateSlot(plane: number): Promise<number> {
    if (this.plane === 0) this.plane = plane;
    const slot = this.slots++;
    if (slot < this.capacity) return slot;
    // Grow (only when more slices arrive than expected): wait until no worker writes the old buffer.
    await Promise.all(this.inFlight);
    const capacity = Math.max(this.options.expectedSlices ?? 0, Math.ceil(this.capacity * 1.5), 16);
    const grown = new SharedArrayBuffer(capacity * this.plane * 2);
    if (this.buffer) new Int16Array(grown).set(new Int16Array(this.buffer));
    this.buffer = grown;
    this.capacity = capacity;
    return slot;
  }

  /**
   * Puts slot `order[z]` at z, in place (cycle by cycle, one plane of scratch), so sorting never holds
   * a second volume. Returns the sorted HU, trimmed to the slices there are.
   */
  private sortedVolume(order: number[]): Int16Array {
    const plane = this.plane;
    const n = order.length;
    const all = new Int16Array(this.buffer!);
    const scratch = new Int16Array(plane);
    const done = new Uint8Array(n);
    for (let start = 0; start < n; start++) {
      if (done[start] || order[start] === start) {
        done[start] = 1;
        continue;
      }
      scratch.set(all.subarray(start * plane, (start + 1) * plane));
      let z = start;
      for (;;) {
        done[z] = 1;
        const from = order[z]!;
        if (from === start) {
          all.set(scratch, z * plane);
          break;
        }
        all.copyWithin(z * plane, from * plane, (from + 1) * plane);
        z = from;
      }
    }
    // A volume much smaller than its buffer (a wrong hint) is copied out rather than kept with slack.
    if (this.capacity > n * 1.25) return all.slice(0, n * plane);
    return all.subarray(0, n * plane);
  }
}

function tryRescale(instance: DicomInstance): { slope: number; intercept: number } | undefined {
  try {
    return requireRescale(instance);
  } catch {
    // Judged in finish(), after the series checks, as buildCtVolume orders its refusals.
    return undefined;
  }
}

function throwDecodeFailure(failure: { error: unknown; sopInstanceUID: string }): never {
  const { error, sopInstanceUID } = failure;
  if (error instanceof UnsupportedTransferSyntaxError) {
    reject(`Building a CT volume failed: SOP Instance ${sopInstanceUID} uses ${error.transferSyntaxUID}, which cannot be decoded here`, 'unsupported-transfer-syntax', error);
  }
  if (error instanceof DicomError) throw error;
  throw new DicomError(`Building a CT volume failed: decoding SOP Instance ${sopInstanceUID} threw`, { cause: error });
}
