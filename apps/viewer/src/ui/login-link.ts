import { session } from '../state/session';
import { h } from './dom';

/**
 * Takes the token of a login link (`#/login?token=…`). Login fixation: a crafted link must never
 * silently sign a victim in as the attacker, so when this browser already holds a different session
 * the user is asked, and the current session stays unless they choose the link's. Returns true at once
 * when the token was taken without a question; otherwise a promise of the user's answer (true: the
 * link's token is now the session).
 */
export function acceptLoginLinkToken(token: string): true | Promise<boolean> {
  const current = session.getToken();
  if (!current || current === token.trim()) {
    session.setToken(token);
    return true;
  }
  return new Promise((resolve) => {
    const close = (replace: boolean) => () => {
      dialog.remove();
      if (replace) session.setToken(token);
      resolve(replace);
    };
    const dialog = h(
      'div',
      { class: 'modal-backdrop', 'data-testid': 'login-link-confirm' },
      h(
        'div',
        { class: 'modal', role: 'alertdialog', 'aria-labelledby': 'login-link-title' },
        h('h2', { id: 'login-link-title' }, 'Replace your session?'),
        h('p', {}, 'This browser is already signed in. The link you opened would sign it in with another session. Only continue if you asked for this link.'),
        h(
          'div',
          { class: 'row' },
          h('button', { type: 'button', 'data-testid': 'login-link-keep', onclick: close(false) }, 'Keep my current session'),
          h('button', { type: 'button', class: 'primary', 'data-testid': 'login-link-replace', onclick: close(true) }, 'Sign in with the link'),
        ),
      ),
    );
    document.body.appendChild(dialog);
  });
}
