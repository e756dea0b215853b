import type { Detach, ViewportControls } from './viewport-controls';

export type DragMode = 'wl' | 'zoom' | 'pan';

/**
 * Mouse drags: left = window/level (or the mode picked in the toolbar), middle or shift+left = pan,
 * right or ctrl+left = zoom. Pointer capture keeps the drag alive outside the element.
 * `getMode` answers 'none' while an editing tool owns the plain left button (paint.tool.ts).
 */
export function attachDragTools(element: HTMLElement, viewport: ViewportControls, getMode: () => DragMode | 'none'): Detach {
  let last: { x: number; y: number; mode: DragMode; pointerId: number } | undefined;
  const modeFor = (event: PointerEvent): DragMode | 'none' => {
    if (event.button === 1 || (event.button === 0 && event.shiftKey)) return 'pan';
    if (event.button === 2 || (event.button === 0 && event.ctrlKey)) return 'zoom';
    return getMode();
  };
  const onDown = (event: PointerEvent) => {
    const mode = modeFor(event);
    if (mode === 'none') return;
    last = { x: event.clientX, y: event.clientY, mode, pointerId: event.pointerId };
    element.setPointerCapture(event.pointerId);
    event.preventDefault();
  };
  const onMove = (event: PointerEvent) => {
    if (!last || event.pointerId !== last.pointerId) return;
    const dx = event.clientX - last.x;
    const dy = event.clientY - last.y;
    last = { ...last, x: event.clientX, y: event.clientY };
    if (last.mode === 'wl') viewport.adjustVoi(dx, dy);
    else if (last.mode === 'pan') viewport.panBy(dx, dy);
    else viewport.zoomBy(Math.exp(-dy / 150));
  };
  const onUp = (event: PointerEvent) => {
    if (last && event.pointerId === last.pointerId) {
      if (element.hasPointerCapture(event.pointerId)) element.releasePointerCapture(event.pointerId);
      last = undefined;
    }
  };
  const onContextMenu = (event: Event) => event.preventDefault();
  element.addEventListener('pointerdown', onDown);
  element.addEventListener('pointermove', onMove);
  element.addEventListener('pointerup', onUp);
  element.addEventListener('pointercancel', onUp);
  element.addEventListener('contextmenu', onContextMenu);
  return () => {
    element.removeEventListener('pointerdown', onDown);
    element.removeEventListener('pointermove', onMove);
    element.removeEventListener('pointerup', onUp);
    element.removeEventListener('pointercancel', onUp);
    element.removeEventListener('contextmenu', onContextMenu);
  };
}
