import { session } from '../state/session';
import { h } from './dom';

let prompt: HTMLElement | undefined;

/**
 * The login prompt shown on any 401: paste a bearer token (or open a one-time login link, which lands on
 * `#/login?token=…`). Saving stores the token and calls `onSignedIn` so the current view reloads.
 */
export function showLoginPrompt(onSignedIn: () => void): void {
  if (prompt) return;
  const input = h('textarea', { id: 'token-input', rows: 3, placeholder: 'Paste your access token', 'aria-label': 'Access token' });
  const error = h('p', { class: 'error', hidden: true });
  const submit = (event: Event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) {
      error.textContent = 'Paste a token first.';
      error.hidden = false;
      return;
    }
    session.setToken(token);
    closeLoginPrompt();
    onSignedIn();
  };
  prompt = h(
    'div',
    { class: 'modal-backdrop', 'data-testid': 'login-prompt' },
    h(
      'form',
      { class: 'modal', onsubmit: submit },
      h('h2', {}, 'Sign in'),
      h('p', {}, 'Your session is missing or has expired. Paste an access token, or open the one-time login link an administrator gave you.'),
      input,
      error,
      h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Sign in')),
    ),
  );
  document.body.appendChild(prompt);
  input.focus();
}

export function closeLoginPrompt(): void {
  prompt?.remove();
  prompt = undefined;
}
