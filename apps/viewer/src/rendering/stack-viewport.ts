import * as cornerstone from 'cornerstone-core';
import { OverlayLayer, type OverlayMask } from './overlay-layer';
import { registerImageLoader } from './image-loader';
import { isStreamable, prioritise, streamSeries, type StreamReport } from '../loaders/frame-loader';

export interface ViewState {
  /** The slice displayed (requested and decoded); `rendered` is the one the canvas shows. */
  index: number;
  rendered: number;
  count: number;
  windowWidth: number;
  windowCenter: number;
  scale: number;
}

export type RenderListener = (state: ViewState) => void;
export type OverlaySource = (index: number) => readonly OverlayMask[];

/**
 * One render of the viewport: when it ended (performance.now(), ms), cornerstone's image time and our
 * overlay's, ms; `overlayOnly` when only the overlay was repainted (an edit).
 */
export interface RenderTiming {
  at: number;
  imageMs: number;
  overlayMs: number;
  overlayOnly: boolean;
}

const RENDER_LOG = 600;
const PREFETCH_CONCURRENCY = 6;
const PREFETCH_TRIES = 3;

/**
 * One cornerstone-enabled element showing a stack of image ids, with an overlay layer on top.
 * What it sets up (cornerstone enable, listeners, resize observer, overlay canvas), {@link destroy} tears down.
 * Coordinates: `panBy` takes canvas pixels; W/L in HU (cornerstone applies slope/intercept).
 */
export class StackViewport {
  private imageIds: string[] = [];
  private current = -1;
  /** The slice the canvases show now (cornerstone draws on the next animation frame after displayImage). */
  private rendered = -1;
  private requested = -1;
  private displayed = false;
  private overlaySource: OverlaySource = () => [];
  private readonly overlay: OverlayLayer;
  private readonly listeners = new Set<RenderListener>();
  private readonly loaded = new Set<number>();
  private readonly failed = new Map<number, unknown>();
  /** Prefetch attempts per slice; a busy PACS may drop a request, so each slice gets a few tries. */
  private readonly attempts = new Map<number, number>();
  private prefetchQueue: number[] = [];
  private inFlight = 0;
  /** The one-request series retrieve feeding the prefetch; aborted when the stack changes or the view goes. */
  private stream: { abort: AbortController; active: boolean; report?: StreamReport } | undefined;
  private destroyed = false;
  private readonly resizeObserver: ResizeObserver;
  private readonly onRenderedEvent = (event: Event) => this.afterRender((event as CustomEvent<{ renderTimeInMs?: number }>).detail?.renderTimeInMs);
  /** The last renders (ring of RENDER_LOG entries), for the benchmark's frame rate while painting. */
  private readonly renderLog: RenderTiming[] = [];
  private onLoadError: (index: number, error: unknown) => void = () => undefined;
  private onProgress: (loaded: number, total: number) => void = () => undefined;
  private initialVoi: cornerstone.Voi | undefined;
  private redrawPending = false;
  private firstShownAt: number | undefined;
  private allCachedAt: number | undefined;

  constructor(private readonly element: HTMLElement) {
    registerImageLoader();
    cornerstone.enable(element);
    this.overlay = new OverlayLayer(element);
    element.addEventListener(cornerstone.EVENTS.IMAGE_RENDERED, this.onRenderedEvent);
    // Keeps the canvas the size of the element (fixed by CSS, so loading images never moves the layout).
    this.resizeObserver = new ResizeObserver(() => cornerstone.resize(element, !this.displayed));
    this.resizeObserver.observe(element);
  }

  /** Replaces the stack. `initialVoi` (HU) applies to the first image shown. */
  setStack(imageIds: string[], options: { initialVoi?: cornerstone.Voi } = {}): void {
    this.imageIds = imageIds;
    this.current = -1;
    this.requested = -1;
    this.loaded.clear();
    this.failed.clear();
    this.attempts.clear();
    this.prefetchQueue = [];
    this.stream?.abort.abort();
    this.stream = undefined;
    this.firstShownAt = undefined;
    this.allCachedAt = undefined;
    this.initialVoi = options.initialVoi;
  }

  setHandlers(handlers: { onLoadError?: (index: number, error: unknown) => void; onProgress?: (loaded: number, total: number) => void }): void {
    if (handlers.onLoadError) this.onLoadError = handlers.onLoadError;
    if (handlers.onProgress) this.onProgress = handlers.onProgress;
  }

  get count(): number {
    return this.imageIds.length;
  }

  get index(): number {
    return this.current;
  }

  get loadedCount(): number {
    return this.loaded.size;
  }

  /** How many slices of the stack cornerstone's image cache holds loaded (read from the cache itself). */
  cachedCount(): number {
    return this.imageIds.filter((id) => cornerstone.imageCache.imageCache[id]?.loaded === true).length;
  }

  /**
   * performance.now() when the stack's first image was displayed and when its last slice was cached, and
   * how the series stream went (once it has ended).
   */
  loadTimes(): { firstShownAt: number | undefined; allCachedAt: number | undefined; stream: StreamReport | undefined } {
    return { firstShownAt: this.firstShownAt, allCachedAt: this.allCachedAt, stream: this.stream?.report };
  }

  /** Shows slice `index` (clamped). Resolves once it is displayed, or when a later request supersedes it. */
  async show(index: number): Promise<void> {
    if (this.imageIds.length === 0) return;
    const target = Math.min(this.imageIds.length - 1, Math.max(0, Math.round(index)));
    this.requested = target;
    if (this.stream?.active) prioritise(this.imageIds[target]);
    let image: cornerstone.Image;
    try {
      image = await cornerstone.loadAndCacheImage(this.imageIds[target]);
    } catch (error) {
      this.failed.set(target, error);
      if (this.requested === target) this.onLoadError(target, error);
      return;
    }
    if (this.destroyed) return;
    this.markLoaded(target);
    if (this.requested !== target) return;
    const first = !this.displayed;
    cornerstone.displayImage(this.element, image);
    this.firstShownAt ??= performance.now();
    this.displayed = true;
    this.current = target;
    if (first && this.initialVoi) cornerstone.setViewport(this.element, { voi: { ...this.initialVoi } });
    this.prefetchAround(target);
  }

  scrollBy(delta: number): Promise<void> {
    const from = this.requested >= 0 ? this.requested : this.current;
    return this.show(from + delta);
  }

  setVoi(windowWidth: number, windowCenter: number): void {
    if (!this.displayed) {
      this.initialVoi = { windowWidth, windowCenter };
      return;
    }
    cornerstone.setViewport(this.element, { voi: { windowWidth: Math.max(1, windowWidth), windowCenter } });
  }

  /** Drag W/L: `dx`, `dy` in canvas pixels; 1 px changes width or level by ~0.4% of the width. */
  adjustVoi(dx: number, dy: number): void {
    if (!this.displayed) return;
    const viewport = cornerstone.getViewport(this.element);
    if (!viewport) return;
    const step = Math.max(1, viewport.voi.windowWidth / 250);
    this.setVoi(viewport.voi.windowWidth + dx * step, viewport.voi.windowCenter + dy * step);
  }

  zoomBy(factor: number): void {
    if (!this.displayed) return;
    const viewport = cornerstone.getViewport(this.element);
    if (!viewport) return;
    cornerstone.setViewport(this.element, { scale: Math.min(40, Math.max(0.05, viewport.scale * factor)) });
  }

  /** Pans by canvas pixels. */
  panBy(dx: number, dy: number): void {
    if (!this.displayed) return;
    const viewport = cornerstone.getViewport(this.element);
    if (!viewport) return;
    cornerstone.setViewport(this.element, {
      translation: { x: viewport.translation.x + dx / viewport.scale, y: viewport.translation.y + dy / viewport.scale },
    });
  }

  /** Back to fit-to-window and the image's own VOI. */
  reset(): void {
    if (this.displayed) cornerstone.reset(this.element);
  }

  setOverlaySource(source: OverlaySource): void {
    this.overlaySource = source;
    this.redraw();
  }

  /** Re-renders the current image (and so the overlay). */
  redraw(): void {
    if (this.displayed) cornerstone.updateImage(this.element);
  }

  /**
   * Repaints the overlay alone (the CT image has not changed), at most once per animation frame however
   * often it is called: brush strokes call it on every pointer move, and a 512² slice must keep up
   * (>= 30 fps) without queueing renders. Never route this through cornerstone's updateImage: it would
   * redraw the CT under the overlay on every move, for nothing.
   */
  requestOverlayRedraw(): void {
    if (this.redrawPending) return;
    this.redrawPending = true;
    requestAnimationFrame(() => {
      this.redrawPending = false;
      if (this.destroyed || !this.displayed || this.rendered < 0) return;
      this.paintOverlay(undefined);
    });
  }

  /** Image pixel coordinates (x = column, y = row, continuous) under a pointer at client (CSS px) coordinates; undefined when nothing is shown. */
  clientToImage(clientX: number, clientY: number): { x: number; y: number } | undefined {
    if (!this.displayed) return undefined;
    const canvas = cornerstone.getEnabledElement(this.element).canvas;
    const rect = canvas.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) return undefined;
    return cornerstone.canvasToPixel(this.element, { x: ((clientX - rect.left) * canvas.width) / rect.width, y: ((clientY - rect.top) * canvas.height) / rect.height });
  }

  /** Client (CSS px) coordinates of an image point; the inverse of {@link clientToImage}, for tests. */
  imageToClient(x: number, y: number): { x: number; y: number } | undefined {
    if (!this.displayed) return undefined;
    const canvas = cornerstone.getEnabledElement(this.element).canvas;
    const rect = canvas.getBoundingClientRect();
    const point = cornerstone.pixelToCanvas(this.element, { x, y });
    return { x: rect.left + (point.x * rect.width) / canvas.width, y: rect.top + (point.y * rect.height) / canvas.height };
  }

  state(): ViewState {
    const viewport = this.displayed ? cornerstone.getViewport(this.element) : undefined;
    return {
      index: this.current,
      rendered: this.rendered,
      count: this.imageIds.length,
      windowWidth: viewport?.voi.windowWidth ?? this.initialVoi?.windowWidth ?? 0,
      windowCenter: viewport?.voi.windowCenter ?? this.initialVoi?.windowCenter ?? 0,
      scale: viewport?.scale ?? 1,
    };
  }

  onRendered(listener: RenderListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** See {@link OverlayLayer.readBack}; `index` is the slice the canvas shows. */
  readOverlay(): (NonNullable<ReturnType<OverlayLayer['readBack']>> & { index: number }) | undefined {
    const read = this.overlay.readBack();
    return read && { ...read, index: this.rendered };
  }

  /** See {@link OverlayLayer.colorAt}. */
  overlayColorAt(x: number, y: number): [number, number, number, number] | undefined {
    return this.overlay.colorAt(x, y);
  }

  /** Stored values of the displayed image (before rescale), as the loader produced them; for tests. */
  readStoredPixels(): ArrayLike<number> | undefined {
    if (!this.displayed) return undefined;
    const image = cornerstone.getEnabledElement(this.element).image as (cornerstone.Image & { getPixelData(): ArrayLike<number> }) | undefined;
    return image?.getPixelData();
  }

  /** Pixels of the cornerstone canvas (RGBA), for tests that compare renders. */
  readImagePixels(): Uint8ClampedArray | undefined {
    if (!this.displayed) return undefined;
    const canvas = cornerstone.getEnabledElement(this.element).canvas;
    return canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
  }

  destroy(): void {
    this.destroyed = true;
    // Every method that touches cornerstone checks `displayed`; a view torn down mid-load must not reach it.
    this.displayed = false;
    this.prefetchQueue = [];
    this.stream?.abort.abort();
    this.listeners.clear();
    this.resizeObserver.disconnect();
    this.element.removeEventListener(cornerstone.EVENTS.IMAGE_RENDERED, this.onRenderedEvent);
    this.overlay.destroy();
    cornerstone.disable(this.element);
  }

  /** Renders that ended at or after `since` (performance.now(), ms), oldest first. */
  renderTimings(since = 0): RenderTiming[] {
    return this.renderLog.filter((r) => r.at >= since);
  }

  private afterRender(imageMs: number | undefined): void {
    this.rendered = this.current;
    this.paintOverlay(imageMs ?? 0);
    const state = this.state();
    for (const listener of this.listeners) listener(state);
  }

  /** Paints the overlay of the slice the canvas shows and logs the render (`imageMs` undefined: the CT was not redrawn). */
  private paintOverlay(imageMs: number | undefined): void {
    const enabled = cornerstone.getEnabledElement(this.element);
    const started = performance.now();
    this.overlay.paint(enabled, this.rendered >= 0 ? this.overlaySource(this.rendered) : []);
    const at = performance.now();
    this.renderLog.push({ at, imageMs: imageMs ?? 0, overlayMs: at - started, overlayOnly: imageMs === undefined });
    if (this.renderLog.length > RENDER_LOG) this.renderLog.shift();
  }

  private markLoaded(index: number): void {
    if (this.loaded.has(index)) return;
    this.loaded.add(index);
    if (this.loaded.size === this.imageIds.length) this.allCachedAt ??= performance.now();
    this.onProgress(this.loaded.size, this.imageIds.length);
  }

  /** Loads every slice, nearest first, a few at a time, so scrolling stays smooth. */
  private prefetchAround(center: number): void {
    const order: number[] = [];
    for (let d = 1; d < this.imageIds.length; d++) {
      for (const i of [center + d, center - d]) {
        if (i >= 0 && i < this.imageIds.length && !this.loaded.has(i) && !this.failed.has(i)) order.push(i);
      }
    }
    this.prefetchQueue = order;
    // The series stream starts once the first image is on screen, not alongside its frame request: with
    // Orthanc 1.10, frame answers sent on reused connections while a series retrieve runs were seen cut
    // mid-body (bench/viewer.bench.ts runs, and Node clients against Orthanc alone), which left the first
    // slice blank.
    if (!this.stream) this.startStream(center);
    this.pump();
  }

  /**
   * One series retrieve for every slice but `first` that cornerstone has not cached yet (a series opened
   * again streams nothing); the slices wait on it rather than on a request each, so while it runs the pump
   * does not throttle them.
   */
  private startStream(first: number): void {
    const stream: { abort: AbortController; active: boolean; report?: StreamReport } = { abort: new AbortController(), active: true };
    this.stream = stream;
    // Frames of multi-frame instances are not streamed: without any streamable slice the pump stays throttled.
    const ids = this.imageIds.filter((id, i) => i !== first && !cornerstone.imageCache.imageCache[id] && isStreamable(id));
    if (ids.length === 0) return void (stream.active = false);
    void streamSeries(ids, stream.abort.signal).then((report) => {
      stream.report = report;
      stream.active = false;
      if (this.stream === stream) this.pump();
    });
  }

  private pump(): void {
    const limit = this.stream?.active ? Infinity : PREFETCH_CONCURRENCY;
    while (!this.destroyed && this.inFlight < limit && this.prefetchQueue.length > 0) {
      const index = this.prefetchQueue.shift() as number;
      if (this.loaded.has(index)) continue;
      this.inFlight++;
      const ids = this.imageIds;
      cornerstone
        .loadAndCacheImage(ids[index])
        .then(
          () => {
            if (ids === this.imageIds) this.markLoaded(index);
          },
          (error: unknown) => {
            if (ids !== this.imageIds) return;
            const tries = (this.attempts.get(index) ?? 0) + 1;
            this.attempts.set(index, tries);
            // cornerstone drops failed loads from its cache, so a later try really asks again.
            if (tries < PREFETCH_TRIES) this.prefetchQueue.push(index);
            else this.failed.set(index, error);
          },
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }
}
