import { api } from './api/covseg-api';
import { setUnauthorizedHandler, UnauthorizedError } from './api/http-client';
import { session } from './state/session';
import { installHelpKeys, toggleHelp } from './ui/help-overlay';
import { showLoginPrompt } from './ui/login-prompt';
import { parseHash, Router } from './ui/router';
import { showError, showInfo } from './ui/toast';
import { adminView } from './ui/admin.view';
import { jobsView } from './ui/jobs.view';
import { studyListView } from './ui/study-list.view';
import { uploadView } from './ui/upload.view';
import { viewerView } from './ui/viewer.view';

const app = document.getElementById('app') as HTMLElement;

/** `#/login?token=…` (the one-time login link lands here): keep the token, then go to the studies. */
function loginView(_container: HTMLElement, params: URLSearchParams) {
  const token = params.get('token');
  if (token) {
    session.setToken(token);
    showInfo('Signed in.');
  }
  location.replace('#/studies');
  return () => undefined;
}

const router = new Router(app, { studies: studyListView, viewer: viewerView, jobs: jobsView, upload: uploadView, admin: adminView, login: loginView }, 'studies', (name) => {
  for (const link of document.querySelectorAll<HTMLAnchorElement>('#nav a')) link.classList.toggle('active', link.dataset.nav === name);
});

async function refreshMe(): Promise<void> {
  try {
    session.setMe(await api.me());
  } catch (error) {
    session.setMe(undefined);
    if (!(error instanceof UnauthorizedError)) showError(error, 'Reading who is signed in');
  }
}

session.subscribe(() => {
  const me = session.getMe();
  (document.getElementById('nav-admin') as HTMLElement).hidden = me?.role !== 'admin';
  (document.getElementById('whoami') as HTMLElement).textContent = me ? `signed in as ${me.role}` : '';
});

setUnauthorizedHandler(() =>
  showLoginPrompt(() => {
    void refreshMe().then(() => router.reload());
  }),
);

document.getElementById('help-button')?.addEventListener('click', () => toggleHelp());
installHelpKeys();
// A login link opened in a fresh tab: take the token before the first API call, so it is not a 401.
const initial = parseHash(location.hash);
const linkToken = initial.name === 'login' ? initial.params.get('token') : null;
if (linkToken) {
  session.setToken(linkToken);
  history.replaceState(null, '', '#/studies');
}
// The first view starts loading at once (a deep link should not wait for /api/auth/me); views that
// depend on the role await session.known.
void refreshMe();
router.start();
