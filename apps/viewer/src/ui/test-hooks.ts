import type { SliceMeta } from '../loaders/series-metadata';
import type { StackViewport } from '../rendering/stack-viewport';
import type { OverlayState } from '../state/overlay-state';
import type { EditPanel } from './edit-panel';

/** What end-to-end tests and the benchmark read from the page (`window.__covseg`). Read-only views. */
export interface CovsegTestHooks {
  /** Slice index, count, W/L and zoom of the viewport. */
  viewState(): ReturnType<StackViewport['state']>;
  /** SOP Instance UIDs of the open series, in display order (the frames of a multi-frame instance repeat its UID). */
  sliceUids(): string[];
  /** Frame number of each slice in display order: 1-based for a frame of a multi-frame instance, null for a classic slice. */
  sliceFrames(): Array<number | null>;
  /** How many slices are decoded and cached. */
  loadedCount(): number;
  /** How many slices of the open series cornerstone's image cache holds loaded. */
  cachedCount(): number;
  /** performance.now() of the first image displayed and of the last slice cached (undefined until then), and the series stream's report. */
  loadTimes(): ReturnType<StackViewport['loadTimes']>;
  /** The viewport's renders that ended at or after `since` (performance.now(), ms): end time, image and overlay ms. */
  renderTimings(since?: number): ReturnType<StackViewport['renderTimings']>;
  /** Shows a slice; resolves when it is displayed. */
  show(index: number): Promise<void>;
  /** The overlay canvas read back into CT pixel space; see OverlayLayer.readBack (states as a plain array). */
  overlayReadBack(): { index: number; rows: number; columns: number; states: number[] } | undefined;
  /** The overlay colour painted at the centre of CT pixel (x, y) of the displayed slice (RGBA), or undefined off screen. */
  overlayColorAt(x: number, y: number): [number, number, number, number] | undefined;
  /** Indices of slices where any overlay segment has pixels. */
  overlaySlices(): number[];
  /** A cheap checksum of the rendered CT canvas, to see that a render changed. */
  imageChecksum(): number;
  /** Sum and count of the displayed slice's stored values, to compare decoders. */
  storedPixelSum(): { sum: number; count: number } | undefined;
  /** Client (CSS px) coordinates of an image point of the displayed slice, to aim real mouse events. */
  imageToClient(x: number, y: number): { x: number; y: number } | undefined;
  /** The segment being edited on slice `index` (0/1, rows x columns), or undefined where it is empty. */
  editMask(index: number): number[] | undefined;
}

declare global {
  interface Window {
    __covseg?: CovsegTestHooks;
  }
}

export function installTestHooks(viewport: StackViewport, slices: () => SliceMeta[], overlays: () => OverlayState | undefined, edit: () => EditPanel | undefined): () => void {
  window.__covseg = {
    viewState: () => viewport.state(),
    sliceUids: () => slices().map((s) => s.sopInstanceUID),
    sliceFrames: () => slices().map((s) => s.frameNumber ?? null),
    loadedCount: () => viewport.loadedCount,
    cachedCount: () => viewport.cachedCount(),
    loadTimes: () => viewport.loadTimes(),
    renderTimings: (since) => viewport.renderTimings(since),
    show: (index) => viewport.show(index),
    overlayReadBack: () => {
      const read = viewport.readOverlay();
      return read && { index: read.index, rows: read.rows, columns: read.columns, states: Array.from(read.states) };
    },
    overlayColorAt: (x, y) => viewport.overlayColorAt(x, y),
    overlaySlices: () => {
      const state = overlays();
      if (!state) return [];
      const indices = new Set<number>();
      for (const segment of state.segments) for (const index of segment.encoded.keys()) if (state.maskOf(segment, index)?.some((v) => v)) indices.add(index);
      return [...indices].sort((a, b) => a - b);
    },
    imageToClient: (x, y) => viewport.imageToClient(x, y),
    editMask: (index) => {
      const mask = edit()?.maskOf(index);
      return mask && Array.from(mask);
    },
    storedPixelSum: () => {
      const pixels = viewport.readStoredPixels();
      if (!pixels) return undefined;
      let sum = 0;
      for (let i = 0; i < pixels.length; i++) sum += pixels[i];
      return { sum, count: pixels.length };
    },
    imageChecksum: () => {
      const pixels = viewport.readImagePixels();
      if (!pixels) return 0;
      let sum = 0;
      for (let i = 0; i < pixels.length; i += 4) sum = (sum * 31 + pixels[i]) >>> 0;
      return sum;
    },
  };
  return () => {
    delete window.__covseg;
  };
}
