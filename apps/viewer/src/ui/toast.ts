import { h } from './dom';

const DURATION_MS = 8000;

/** Shows an error to the user (never only in the console). Keeps at most five on screen. */
export function showError(error: unknown, context?: string): void {
  const message = error instanceof Error ? error.message : String(error);
  show(context ? `${context}: ${message}` : message, 'error');
}

export function showInfo(message: string): void {
  show(message, 'info');
}

function show(message: string, kind: 'error' | 'info'): void {
  const host = document.getElementById('toasts');
  if (!host) return;
  const toast = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  const close = h('button', { class: 'toast-close', type: 'button', 'aria-label': 'Dismiss', onclick: () => toast.remove() }, '×');
  toast.appendChild(close);
  host.appendChild(toast);
  while (host.children.length > 5) host.firstElementChild?.remove();
  window.setTimeout(() => toast.remove(), kind === 'error' ? DURATION_MS * 2 : DURATION_MS);
}
