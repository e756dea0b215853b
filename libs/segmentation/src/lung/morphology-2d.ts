/*
 * 2-D binary morphology on one row-major plane (values 0/1). All functions work in place or into
 * caller-owned scratch buffers, so the per-slice loops of the lung mask allocate nothing.
 */

/**
 * Clears every pixel of `mask` (non-zero) that is 4-connected to the plane border: used to drop the
 * air outside the body from a "below -320 HU" mask.
 * @param stack scratch of at least width*height int32s.
 */
export function clearBorderConnected(mask: Uint8Array, width: number, height: number, stack: Int32Array): void {
  let top = 0;
  const push = (i: number): void => {
    if (mask[i] !== 0) {
      mask[i] = 0;
      stack[top++] = i;
    }
  };
  for (let x = 0; x < width; x++) {
    push(x);
    push((height - 1) * width + x);
  }
  for (let y = 0; y < height; y++) {
    push(y * width);
    push(y * width + width - 1);
  }
  while (top > 0) {
    const i = stack[--top]!;
    const x = i % width;
    if (x > 0 && mask[i - 1] !== 0) { mask[i - 1] = 0; stack[top++] = i - 1; }
    if (x < width - 1 && mask[i + 1] !== 0) { mask[i + 1] = 0; stack[top++] = i + 1; }
    if (i >= width && mask[i - width] !== 0) { mask[i - width] = 0; stack[top++] = i - width; }
    if (i < (height - 1) * width && mask[i + width] !== 0) { mask[i + width] = 0; stack[top++] = i + width; }
  }
}

/**
 * Fills holes: sets to 1 every 0-pixel not 4-connected to the plane border (vessels, nodules and
 * consolidation enclosed by aerated lung become lung).
 * @param scratch at least width*height bytes; @param stack at least width*height int32s.
 */
export function fillHoles(mask: Uint8Array, width: number, height: number, scratch: Uint8Array, stack: Int32Array): void {
  const n = width * height;
  // scratch = background; remove the background reachable from the border; what remains are holes.
  for (let i = 0; i < n; i++) scratch[i] = mask[i] === 0 ? 1 : 0;
  clearBorderConnected(scratch, width, height, stack);
  for (let i = 0; i < n; i++) if (scratch[i] !== 0) mask[i] = 1;
}

/**
 * Binary dilation (erode = false) or erosion (erode = true) with a (2r+1)² square, separable, using
 * running counts so the cost is independent of r. Pixels outside the plane count as background.
 * @param tmp scratch of at least width*height bytes.
 */
export function squareMorphology(mask: Uint8Array, width: number, height: number, radius: number, erode: boolean, tmp: Uint8Array): void {
  const size = 2 * radius + 1;
  // Horizontal pass: mask -> tmp.
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let count = 0;
    for (let x = 0; x < Math.min(radius, width); x++) count += mask[row + x]!;
    for (let x = 0; x < width; x++) {
      const add = x + radius;
      if (add < width) count += mask[row + add]!;
      const drop = x - radius - 1;
      if (drop >= 0) count -= mask[row + drop]!;
      tmp[row + x] = erode ? (count === size ? 1 : 0) : count > 0 ? 1 : 0;
    }
  }
  // Vertical pass: tmp -> mask.
  for (let x = 0; x < width; x++) {
    let count = 0;
    for (let y = 0; y < Math.min(radius, height); y++) count += tmp[y * width + x]!;
    for (let y = 0; y < height; y++) {
      const add = y + radius;
      if (add < height) count += tmp[add * width + x]!;
      const drop = y - radius - 1;
      if (drop >= 0) count -= tmp[drop * width + x]!;
      mask[y * width + x] = erode ? (count === size ? 1 : 0) : count > 0 ? 1 : 0;
    }
  }
}

/**
 * Morphological closing (dilate, then erode) with a (2r+1)² square. The plane is padded by r on
 * every side first (into `padded`) so that erosion does not eat lung that touches the plane edge.
 * @param padded scratch of (width+2r)*(height+2r) bytes; @param tmp scratch of the same size.
 */
export function closeSquare(mask: Uint8Array, width: number, height: number, radius: number, padded: Uint8Array, tmp: Uint8Array): void {
  if (radius < 1) return;
  const pw = width + 2 * radius;
  const ph = height + 2 * radius;
  padded.fill(0, 0, pw * ph);
  for (let y = 0; y < height; y++) padded.set(mask.subarray(y * width, (y + 1) * width), (y + radius) * pw + radius);
  squareMorphology(padded, pw, ph, radius, false, tmp);
  squareMorphology(padded, pw, ph, radius, true, tmp);
  for (let y = 0; y < height; y++) mask.set(padded.subarray((y + radius) * pw + radius, (y + radius) * pw + radius + width), y * width);
}
