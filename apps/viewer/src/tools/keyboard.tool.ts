import { PRESETS, type Detach, type ViewportControls } from './viewport-controls';

export interface Shortcut {
  keys: string;
  action: string;
}

/** The viewer's shortcuts, listed in the help overlay (`?`). */
export const VIEWER_SHORTCUTS: readonly Shortcut[] = [
  { keys: '↑ / ↓, mouse wheel', action: 'previous / next slice' },
  { keys: 'Page Up / Page Down', action: '10 slices back / forward' },
  { keys: 'Home / End', action: 'first / last slice' },
  { keys: '1', action: 'lung window (W1500 L-600)' },
  { keys: '2', action: 'mediastinum window (W350 L50)' },
  { keys: 'drag', action: 'window / level (horizontal = width, vertical = level)' },
  { keys: 'shift+drag, middle drag', action: 'pan' },
  { keys: 'ctrl+drag, right drag, ctrl+wheel', action: 'zoom' },
  { keys: '+ / -', action: 'zoom in / out' },
  { keys: 'r', action: 'reset zoom, pan and window' },
  { keys: 'o', action: 'show / hide all overlays' },
  { keys: '?', action: 'this help' },
];

/**
 * Viewer keys on `target` (the document while the viewer is open). Keys typed into form fields are
 * left alone. `extra` handles the viewer-level keys (o), returning true when it used the key.
 */
export function attachKeyboard(target: Document | HTMLElement, viewport: ViewportControls, extra: (key: string) => boolean): Detach {
  const onKey = (event: Event) => {
    const key = event as KeyboardEvent;
    const origin = key.target as HTMLElement | null;
    if (origin && (origin.tagName === 'INPUT' || origin.tagName === 'TEXTAREA' || origin.tagName === 'SELECT') && (origin as HTMLInputElement).type !== 'range') return;
    if (key.ctrlKey || key.metaKey || key.altKey) return;
    let handled = true;
    switch (key.key) {
      case 'ArrowDown':
      case 'ArrowRight':
        void viewport.scrollBy(1);
        break;
      case 'ArrowUp':
      case 'ArrowLeft':
        void viewport.scrollBy(-1);
        break;
      case 'PageDown':
        void viewport.scrollBy(10);
        break;
      case 'PageUp':
        void viewport.scrollBy(-10);
        break;
      case 'Home':
        void viewport.show(0);
        break;
      case 'End':
        void viewport.show(viewport.count - 1);
        break;
      case '1':
        viewport.setVoi(PRESETS.lung.windowWidth, PRESETS.lung.windowCenter);
        break;
      case '2':
        viewport.setVoi(PRESETS.mediastinum.windowWidth, PRESETS.mediastinum.windowCenter);
        break;
      case '+':
      case '=':
        viewport.zoomBy(1.25);
        break;
      case '-':
        viewport.zoomBy(0.8);
        break;
      case 'r':
        viewport.reset();
        break;
      default:
        handled = extra(key.key);
    }
    if (handled) key.preventDefault();
  };
  target.addEventListener('keydown', onKey);
  return () => target.removeEventListener('keydown', onKey);
}
