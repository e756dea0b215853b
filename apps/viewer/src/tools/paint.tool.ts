import type { Detach } from './viewport-controls';

export type EditTool = 'brush' | 'eraser' | 'fill';

/** What the paint tool drives: image coordinates from the pointer, and the edit operations. */
export interface PaintTarget {
  /** Image pixel coordinates under client coordinates (undefined off the image). */
  toImage(clientX: number, clientY: number): { x: number; y: number } | undefined;
  beginStroke(x: number, y: number, tool: 'brush' | 'eraser'): void;
  continueStroke(x: number, y: number): void;
  endStroke(): void;
  fillAt(x: number, y: number): void;
}

/**
 * Plain left-button drags paint with the active tool (brush adds, eraser removes, fill grows from the
 * click). Shift, ctrl, middle and right buttons stay with the drag tools (pan, zoom). Coalesced pointer
 * events are replayed so fast strokes follow the pointer exactly, not only once per frame.
 */
export function attachPaintTool(element: HTMLElement, getTool: () => EditTool | undefined, target: PaintTarget): Detach {
  let active: { pointerId: number } | undefined;
  const owns = (event: PointerEvent) => event.button === 0 && !event.shiftKey && !event.ctrlKey && !event.metaKey && getTool() !== undefined;
  const onDown = (event: PointerEvent) => {
    if (!owns(event)) return;
    const tool = getTool()!;
    const point = target.toImage(event.clientX, event.clientY);
    if (!point) return;
    event.preventDefault();
    if (tool === 'fill') {
      target.fillAt(point.x, point.y);
      return;
    }
    active = { pointerId: event.pointerId };
    element.setPointerCapture(event.pointerId);
    target.beginStroke(point.x, point.y, tool);
  };
  const onMove = (event: PointerEvent) => {
    if (!active || event.pointerId !== active.pointerId) return;
    const events = typeof event.getCoalescedEvents === 'function' ? event.getCoalescedEvents() : [];
    for (const e of events.length > 0 ? events : [event]) {
      const point = target.toImage(e.clientX, e.clientY);
      if (point) target.continueStroke(point.x, point.y);
    }
  };
  const onUp = (event: PointerEvent) => {
    if (!active || event.pointerId !== active.pointerId) return;
    if (element.hasPointerCapture(event.pointerId)) element.releasePointerCapture(event.pointerId);
    active = undefined;
    target.endStroke();
  };
  element.addEventListener('pointerdown', onDown);
  element.addEventListener('pointermove', onMove);
  element.addEventListener('pointerup', onUp);
  element.addEventListener('pointercancel', onUp);
  return () => {
    element.removeEventListener('pointerdown', onDown);
    element.removeEventListener('pointermove', onMove);
    element.removeEventListener('pointerup', onUp);
    element.removeEventListener('pointercancel', onUp);
  };
}
