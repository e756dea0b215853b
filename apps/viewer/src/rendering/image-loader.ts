import * as cornerstone from 'cornerstone-core';
import { IMAGE_SCHEME, loadFrame } from '../loaders/frame-loader';

let registered = false;

/**
 * Registers the `covseg:` image loader with cornerstone (STYLE.md: loaders are plugins registered by URL
 * scheme). Idempotent: cornerstone keeps one loader per scheme for the page's lifetime.
 */
export function registerImageLoader(): void {
  if (registered) return;
  registered = true;
  // The series of a 133-slice CT is ~70 MB of Int16; keep a few series in memory.
  cornerstone.imageCache.setMaximumSizeBytes(512 * 1024 * 1024);
  cornerstone.registerImageLoader(IMAGE_SCHEME, (imageId) => {
    const controller = new AbortController();
    return { promise: loadFrame(imageId, controller.signal), cancelFn: () => controller.abort() };
  });
}

/** Drops every cached frame (used when a series is closed and memory matters). */
export function purgeImageCache(): void {
  cornerstone.imageCache.purgeCache();
}
