import type { Detach, ViewportControls } from './viewport-controls';

/** Mouse wheel scrolls one slice per notch (trackpads: per ~50 px of delta). */
export function attachWheelScroll(element: HTMLElement, viewport: ViewportControls): Detach {
  let accumulated = 0;
  const onWheel = (event: WheelEvent) => {
    event.preventDefault();
    if (event.ctrlKey) {
      viewport.zoomBy(event.deltaY < 0 ? 1.1 : 1 / 1.1);
      return;
    }
    accumulated += event.deltaMode === WheelEvent.DOM_DELTA_LINE ? event.deltaY * 33 : event.deltaY;
    const steps = Math.trunc(accumulated / 50) || Math.sign(accumulated);
    if (steps === 0) return;
    accumulated = 0;
    void viewport.scrollBy(steps);
  };
  element.addEventListener('wheel', onWheel, { passive: false });
  return () => element.removeEventListener('wheel', onWheel);
}
