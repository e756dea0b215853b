import * as cornerstone from 'cornerstone-core';

/** One segment's mask on the displayed slice: `mask` is rows x columns, row-major, 0/1, owned by the caller. */
export interface OverlayMask {
  mask: Uint8Array;
  color: readonly [number, number, number];
  /** 0..1 */
  opacity: number;
}

/**
 * A canvas stacked exactly over cornerstone's canvas. After every cornerstone render it paints the
 * masks of the displayed slice through cornerstone's own image-to-canvas transform, nearest neighbour,
 * so each mask pixel covers exactly the CT pixel it labels at any zoom and pan.
 * Never draw the masks with image smoothing on, or edges bleed into unlabelled pixels.
 */
export class OverlayLayer {
  readonly canvas: HTMLCanvasElement;
  private readonly scratch = document.createElement('canvas');
  /** The scratch canvas's pixels, reused from paint to paint (a 512² slice is 1 MB). */
  private pixels: ImageData | undefined;
  private inverse: DOMMatrix | undefined;
  private forward: DOMMatrix | undefined;
  private imageSize: { rows: number; columns: number } | undefined;

  constructor(private readonly host: HTMLElement) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'overlay-layer';
    this.canvas.dataset.testid = 'overlay-canvas';
    host.appendChild(this.canvas);
  }

  /** Repaints for the image cornerstone just rendered on `baseCanvas`. */
  paint(enabled: cornerstone.EnabledElement, masks: readonly OverlayMask[]): void {
    const base = enabled.canvas;
    if (this.canvas.width !== base.width || this.canvas.height !== base.height) {
      this.canvas.width = base.width;
      this.canvas.height = base.height;
    }
    const context = this.canvas.getContext('2d');
    const image = enabled.image;
    if (!context || !image) return;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    const m = cornerstone.internal.getTransform(enabled).m;
    const matrix = new DOMMatrix([m[0], m[1], m[2], m[3], m[4], m[5]]);
    this.forward = matrix;
    this.inverse = matrix.inverse();
    this.imageSize = { rows: image.rows, columns: image.columns };
    const visible = masks.filter((layer) => layer.opacity > 0 && layer.mask.length === image.rows * image.columns);
    if (visible.length === 0) return;
    // Resizing a canvas reallocates it: only when the slice size changes, not on every brush move.
    if (this.scratch.width !== image.columns || this.scratch.height !== image.rows) {
      this.scratch.width = image.columns;
      this.scratch.height = image.rows;
      this.pixels = undefined;
    }
    const scratchContext = this.scratch.getContext('2d');
    if (!scratchContext) return;
    this.pixels ??= scratchContext.createImageData(image.columns, image.rows);
    const pixels = this.pixels;
    // One 32-bit store per labelled pixel (RGBA bytes in memory order, so little- or big-endian alike).
    const words = new Uint32Array(pixels.data.buffer);
    words.fill(0);
    const rgba = new Uint8Array(4);
    const word = new Uint32Array(rgba.buffer);
    for (const layer of visible) {
      const alpha = Math.max(1, Math.round(layer.opacity * 255));
      rgba.set([layer.color[0], layer.color[1], layer.color[2], alpha]);
      const value = word[0]!;
      const mask = layer.mask;
      // Later layers paint over earlier ones (masksFor orders them largest first, so lesions stay on top),
      // keeping the more opaque of the two alphas where they overlap.
      const data = pixels.data;
      for (let i = 0; i < mask.length; i++) {
        if (mask[i] === 0) continue;
        if (words[i] === 0) {
          words[i] = value;
          continue;
        }
        const o = i * 4;
        data[o] = rgba[0]!;
        data[o + 1] = rgba[1]!;
        data[o + 2] = rgba[2]!;
        data[o + 3] = Math.max(data[o + 3]!, alpha);
      }
    }
    scratchContext.putImageData(pixels, 0, 0);
    context.imageSmoothingEnabled = false;
    context.setTransform(matrix);
    context.drawImage(this.scratch, 0, 0);
    context.setTransform(1, 0, 0, 1, 0, 0);
  }

  /**
   * Reads the painted canvas back into image space, for tests: per CT pixel (row-major, rows x columns)
   * 0 = not on screen, 1 = shown without overlay, 2 = shown with overlay, 3 = both (should never happen).
   * Canvas pixels whose centre falls within 1e-3 px of a CT pixel edge are skipped (rounding).
   */
  readBack(): { rows: number; columns: number; states: Uint8Array } | undefined {
    const context = this.canvas.getContext('2d');
    if (!context || !this.inverse || !this.imageSize) return undefined;
    const { rows, columns } = this.imageSize;
    const states = new Uint8Array(rows * columns);
    const { width, height } = this.canvas;
    const alpha = context.getImageData(0, 0, width, height).data;
    const inv = this.inverse;
    for (let cy = 0; cy < height; cy++) {
      for (let cx = 0; cx < width; cx++) {
        const px = inv.a * (cx + 0.5) + inv.c * (cy + 0.5) + inv.e;
        const py = inv.b * (cx + 0.5) + inv.d * (cy + 0.5) + inv.f;
        const x = Math.floor(px);
        const y = Math.floor(py);
        if (x < 0 || y < 0 || x >= columns || y >= rows) continue;
        if (px - x < 1e-3 || x + 1 - px < 1e-3 || py - y < 1e-3 || y + 1 - py < 1e-3) continue;
        const painted = alpha[(cy * width + cx) * 4 + 3] > 0;
        states[y * columns + x] |= painted ? 2 : 1;
      }
    }
    return { rows, columns, states };
  }

  /**
   * The painted colour (RGBA as the canvas returns it, not premultiplied) at the centre of CT pixel
   * (x, y) of the displayed slice, for tests that tell segments apart by colour; undefined off screen.
   */
  colorAt(x: number, y: number): [number, number, number, number] | undefined {
    const context = this.canvas.getContext('2d');
    if (!context || !this.forward) return undefined;
    const point = this.forward.transformPoint(new DOMPoint(x + 0.5, y + 0.5));
    const cx = Math.floor(point.x);
    const cy = Math.floor(point.y);
    if (cx < 0 || cy < 0 || cx >= this.canvas.width || cy >= this.canvas.height) return undefined;
    const [r, g, b, a] = context.getImageData(cx, cy, 1, 1).data;
    return [r!, g!, b!, a!];
  }

  destroy(): void {
    this.canvas.remove();
    this.inverse = undefined;
  }
}
