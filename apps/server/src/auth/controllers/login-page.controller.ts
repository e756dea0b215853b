import { createHash } from 'node:crypto';
import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '../../core/decorators/auth.decorators';
import { cspHeader, VIEWER_CSP } from '../../core/http/security.middleware';

/** localStorage key under which the viewer finds its bearer token (docs/CONTRACTS.md). */
export const VIEWER_TOKEN_STORAGE_KEY = 'covseg.token';

// The page redeems the code with a POST from script rather than on GET: mail scanners and chat link
// previews fetch URLs, and a GET that redeemed would burn the single-use code before the human clicks.
// The code is read from the query and never sent anywhere but the redeem endpoint; history.replaceState
// removes it from the address bar.
// Login fixation: a browser that already holds a session is asked before the link replaces it (a
// crafted link must never silently sign a victim in as the attacker). Declining leaves the code unused.
const SCRIPT = `
(() => {
  const status = document.getElementById('status');
  const choice = document.getElementById('choice');
  const params = new URLSearchParams(location.search);
  const code = params.get('code') || '';
  history.replaceState(null, '', '/login');
  const redeem = async () => {
    choice.hidden = true;
    status.textContent = 'Signing in…';
    try {
      const response = await fetch('/api/auth/login-links/' + encodeURIComponent(code) + '/redeem', { method: 'POST' });
      if (!response.ok) throw new Error('status ' + response.status);
      const login = await response.json();
      localStorage.setItem(${JSON.stringify(VIEWER_TOKEN_STORAGE_KEY)}, login.token);
      const next = typeof login.next === 'string' && /^\\/(?![\\/\\\\])/.test(login.next) ? login.next : '/';
      location.replace(next);
    } catch (error) {
      status.textContent = 'This login link is invalid, expired or already used (' + error.message + '). Ask for a new one.';
    }
  };
  if (localStorage.getItem(${JSON.stringify(VIEWER_TOKEN_STORAGE_KEY)})) {
    status.textContent = 'This browser is already signed in. The link would replace that session with another one. Only continue if you asked for this link.';
    choice.hidden = false;
    document.getElementById('replace').addEventListener('click', () => void redeem());
    document.getElementById('keep').addEventListener('click', () => location.replace('/'));
  } else {
    void redeem();
  }
})();
`;

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<title>covseg – signing in</title></head>
<body><p id="status">Signing in…</p>
<p id="choice" hidden><button id="keep" type="button">Keep my current session</button> <button id="replace" type="button">Sign in with this link</button></p>
<script>${SCRIPT}</script></body></html>
`;

/** The page's policy: the viewer's, plus its one inline script by hash (CSP Level 2 hash source). */
const LOGIN_CSP = cspHeader({ ...VIEWER_CSP, 'script-src': ["'self'", `'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'`] });

@Controller()
export class LoginPageController {
  @Get('login')
  @Public()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @Header('Referrer-Policy', 'no-referrer')
  @Header('Content-Security-Policy', LOGIN_CSP)
  page(): string {
    return PAGE;
  }
}
