import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '../decorators/auth.decorators';

/** localStorage key under which the viewer finds its bearer token (docs/CONTRACTS.md). */
export const VIEWER_TOKEN_STORAGE_KEY = 'covseg.token';

// The page redeems the code with a POST from script rather than on GET: mail scanners and chat link
// previews fetch URLs, and a GET that redeemed would burn the single-use code before the human clicks.
// The code is read from the query and never sent anywhere but the redeem endpoint; history.replaceState
// removes it from the address bar.
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<title>covseg – signing in</title></head>
<body><p id="status">Signing in…</p>
<script>
(async () => {
  const status = document.getElementById('status');
  const params = new URLSearchParams(location.search);
  const code = params.get('code') || '';
  history.replaceState(null, '', '/login');
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
})();
</script></body></html>
`;

@Controller()
export class LoginPageController {
  @Get('login')
  @Public()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @Header('Referrer-Policy', 'no-referrer')
  page(): string {
    return PAGE;
  }
}
