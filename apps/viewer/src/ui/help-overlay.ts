import { VIEWER_SHORTCUTS } from '../tools/keyboard.tool';
import { h } from './dom';

let open: HTMLElement | undefined;

/** Toggles the keyboard-shortcut help (`?` anywhere, Escape closes). */
export function toggleHelp(): void {
  if (open) {
    closeHelp();
    return;
  }
  const rows = VIEWER_SHORTCUTS.map((s) => h('tr', {}, h('td', {}, h('kbd', {}, s.keys)), h('td', {}, s.action)));
  open = h(
    'div',
    { class: 'modal-backdrop', 'data-testid': 'help-overlay', onclick: (e: Event) => e.target === open && closeHelp() },
    h('div', { class: 'modal' }, h('h2', {}, 'Keyboard shortcuts'), h('table', { class: 'shortcuts' }, ...rows), h('button', { type: 'button', onclick: () => closeHelp() }, 'Close')),
  );
  document.body.appendChild(open);
}

export function closeHelp(): void {
  open?.remove();
  open = undefined;
}

/** Installs the global `?` and Escape keys; returns the teardown. */
export function installHelpKeys(): () => void {
  const onKey = (event: KeyboardEvent) => {
    const tag = (event.target as HTMLElement | null)?.tagName;
    if (tag === 'INPUT' || tag === 'TEXTAREA') return;
    if (event.key === '?') {
      toggleHelp();
      event.preventDefault();
    } else if (event.key === 'Escape' && open) closeHelp();
  };
  document.addEventListener('keydown', onKey);
  return () => document.removeEventListener('keydown', onKey);
}
