import type { InfectionClass, OverlaySeg, OverlaysResponse } from '../api/types';
import { decodeRunLengths, encodeRunLengths } from '../loaders/mask-codec';
import { sliceKeyOf } from '../loaders/series-metadata';
import type { MaskStore } from './mask-editor';

export interface SegmentEntry {
  key: string;
  seg: OverlaySeg;
  segmentNumber: number;
  label: string;
  /** Ground-glass opacity or consolidation segment of a multi-class result. */
  infectionClass?: InfectionClass;
  /** The infection union of a SEG that also has class segments: hidden by default (the classes cover it). */
  unionOfClasses: boolean;
  color: [number, number, number];
  visible: boolean;
  opacity: number;
  /** slice index → RLE text, decoded on first use. */
  encoded: Map<number, string>;
  decoded: Map<number, Uint8Array>;
  voxelCount: number;
}

export interface SliceMask {
  mask: Uint8Array;
  color: readonly [number, number, number];
  opacity: number;
}

/**
 * The overlays of the open series, mapped onto the viewer's slice order by the source SOP Instance UID
 * each SEG frame references, plus its frame number for a multi-frame source (so SEGs whose frames are not
 * in source order still land on the right slice, and each frame of an Enhanced CT on its own).
 */
export class OverlayState {
  readonly segments: SegmentEntry[] = [];
  allHidden = false;
  private readonly paintOrder: SegmentEntry[];
  private readonly listeners = new Set<() => void>();

  /** @param sliceIndexByKey viewer slice index by {@link sliceKeyOf} (SOP Instance UID, and frame number for a frame). */
  constructor(
    response: OverlaysResponse,
    sliceIndexByKey: ReadonlyMap<string, number>,
    private readonly pixelsPerSlice: number,
  ) {
    for (const seg of response.segs) {
      // A multi-class SEG of ours: segment 1 is the union of its GGO and consolidation segments.
      const hasClasses = seg.segments.some((x) => x.infectionClass === 'ggo') && seg.segments.some((x) => x.infectionClass === 'consolidation');
      for (const segment of seg.segments) {
        const unionOfClasses = hasClasses && seg.kind !== 'other' && segment.segmentNumber === 1 && !segment.infectionClass;
        const encoded = new Map<number, string>();
        for (const slice of segment.slices) {
          const index = sliceIndexByKey.get(sliceKeyOf(slice.sopInstanceUID, slice.frameNumber));
          if (index !== undefined) encoded.set(index, slice.rle);
        }
        this.segments.push({
          key: `${seg.segSopInstanceUID}#${segment.segmentNumber}`,
          seg,
          segmentNumber: segment.segmentNumber,
          label: segment.label,
          ...(segment.infectionClass ? { infectionClass: segment.infectionClass } : {}),
          unionOfClasses,
          color: segment.color,
          // Rejected results, and AI results a listed correction supersedes, start hidden (the server decides
          // which). The union of a multi-class result starts hidden: the two class colours show the same voxels.
          visible: !seg.hiddenByDefault && !unionOfClasses,
          opacity: 0.5,
          encoded,
          decoded: new Map(),
          voxelCount: segment.voxelCount,
        });
      }
    }
    this.paintOrder = [...this.segments].sort((a, b) => b.voxelCount - a.voxelCount);
  }

  /**
   * Masks to draw on slice `index`, largest segment first, so small structures (lesions inside the lung)
   * are painted last and stay visible where segments overlap. The arrays belong to this state; do not modify.
   */
  masksFor(index: number): SliceMask[] {
    if (this.allHidden) return [];
    const masks: SliceMask[] = [];
    for (const segment of this.paintOrder) {
      if (!segment.visible) continue;
      const mask = this.maskOf(segment, index);
      if (mask) masks.push({ mask, color: segment.color, opacity: segment.opacity });
    }
    return masks;
  }

  maskOf(segment: SegmentEntry, index: number): Uint8Array | undefined {
    const cached = segment.decoded.get(index);
    if (cached) return cached;
    const rle = segment.encoded.get(index);
    if (rle === undefined) return undefined;
    const mask = decodeRunLengths(rle, this.pixelsPerSlice);
    segment.decoded.set(index, mask);
    return mask;
  }

  /** The slice where the first visible segment (corrections, then ours, first) covers the most pixels, or undefined if all are empty. */
  bestSlice(): number | undefined {
    const rank = (s: SegmentEntry) => (s.seg.kind === 'correction' ? 2 : s.seg.ours ? 1 : 0);
    const ordered = this.segments.filter((s) => s.visible).sort((a, b) => rank(b) - rank(a));
    for (const segment of ordered) {
      let best: number | undefined;
      let bestCount = 0;
      for (const index of segment.encoded.keys()) {
        const mask = this.maskOf(segment, index) as Uint8Array;
        let count = 0;
        for (let i = 0; i < mask.length; i++) count += mask[i];
        if (count > bestCount) {
          bestCount = count;
          best = index;
        }
      }
      if (best !== undefined) return best;
    }
    return undefined;
  }

  /** The segment's masks as an editable store (edits land in the decoded cache, so what is drawn is what is edited). */
  storeFor(segment: SegmentEntry): MaskStore {
    return {
      getSliceMask: (index) => this.maskOf(segment, index),
      setSliceMask: (index, mask) => {
        segment.decoded.set(index, mask);
      },
    };
  }

  /**
   * The whole segment as the corrections API takes it: every slice with foreground, as run lengths.
   * Slices never decoded are passed on as the server sent them; decoded (possibly edited) ones are re-encoded.
   */
  encodeSegment(segment: SegmentEntry, sources: ReadonlyArray<{ sopInstanceUID: string; frameNumber?: number }>): Array<{ sopInstanceUID: string; frameNumber?: number; rle: string }> {
    const indices = new Set([...segment.encoded.keys(), ...segment.decoded.keys()]);
    const slices: Array<{ sopInstanceUID: string; frameNumber?: number; rle: string }> = [];
    for (const index of [...indices].sort((a, b) => a - b)) {
      const decoded = segment.decoded.get(index);
      const rle = decoded ? encodeRunLengths(decoded) : segment.encoded.get(index);
      const source = sources[index];
      if (rle && source) slices.push({ sopInstanceUID: source.sopInstanceUID, ...(source.frameNumber !== undefined ? { frameNumber: source.frameNumber } : {}), rle });
    }
    return slices;
  }

  /** Tells listeners (the viewport) that masks changed. */
  changed(): void {
    this.emit();
  }

  update(key: string, change: Partial<Pick<SegmentEntry, 'visible' | 'opacity'>>): void {
    const segment = this.segments.find((s) => s.key === key);
    if (!segment) return;
    Object.assign(segment, change);
    this.emit();
  }

  toggleAll(): void {
    this.allHidden = !this.allHidden;
    this.emit();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}
