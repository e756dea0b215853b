import { api } from './api/covseg-api';
import { setUnauthorizedHandler, UnauthorizedError } from './api/http-client';
import { session } from './state/session';
import { installHelpKeys, toggleHelp } from './ui/help-overlay';
import { acceptLoginLinkToken } from './ui/login-link';
import { showLoginPrompt } from './ui/login-prompt';
import { parseHash, Router } from './ui/router';
import { showError, showInfo } from './ui/toast';
import { adminView } from './ui/admin.view';
import { jobsView } from './ui/jobs.view';
import { studyListView } from './ui/study-list.view';
import { uploadView } from './ui/upload.view';
import { viewerView } from './ui/viewer.view';

const app = document.getElementById('app') as HTMLElement;

/**
 * `#/login?token=…` (a login link lands here): take the token, then go to the studies. A browser that
 * is already signed in is asked first (login fixation), see {@link acceptLoginLinkToken}.
 */
function loginView(_container: HTMLElement, params: URLSearchParams) {
  const token = params.get('token');
  location.replace('#/studies');
  if (token) {
    void Promise.resolve(acceptLoginLinkToken(token)).then((taken) => {
      if (!taken) return;
      showInfo('Signed in.');
      void refreshMe().then(() => router.reload());
    });
  }
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
if (linkToken) history.replaceState(null, '', '#/studies');
// The first view starts loading at once (a deep link should not wait for /api/auth/me); views that
// depend on the role await session.known. A link token is taken first unless it would replace a
// session, in which case the user is asked (and the current session goes on meanwhile).
const decision = linkToken ? acceptLoginLinkToken(linkToken) : undefined;
void refreshMe();
router.start();
if (decision instanceof Promise) {
  void decision.then((replaced) => {
    if (replaced) void refreshMe().then(() => router.reload());
  });
}
