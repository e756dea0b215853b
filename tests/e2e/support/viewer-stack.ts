import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { OrthancInstance } from '../../support/orthanc';
import { startTestServer, TEST_ADMIN_TOKEN, type TestServer, type TestServerOptions } from '../../support/server';

const repoRoot = resolve(__dirname, '../../..');
const viewerDist = join(repoRoot, 'apps/viewer/dist/index.html');
export const artifactsDir = join(repoRoot, 'test-artifacts');

/**
 * The Debian chromium with the flags that keep it quiet and offline. The omnibox popups (Chromium 156
 * builds them as WebUI pages, `chrome://omnibox-popup.top-chrome/` and its AI-mode twin) are switched off:
 * every new browser context renders them in a renderer of their own, which took 1-6 s of CPU right while
 * the page under test loaded (bench/viewer.bench.ts traces), and a headless browser never shows them.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup',
    ],
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds the viewer (npm run build:viewer) unless apps/viewer/dist is newer than its sources. */
export function ensureViewerBuilt(): void {
  const sources = Math.max(newestMtime(join(repoRoot, 'apps/viewer/src')), statSync(join(repoRoot, 'apps/viewer/index.html')).mtimeMs);
  if (existsSync(viewerDist) && statSync(viewerDist).mtimeMs >= sources) return;
  execFileSync('npm', ['run', '--silent', 'build:viewer'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
}

export interface ViewerStack {
  orthanc: OrthancInstance;
  server: TestServer;
  browser: Browser;
  /** A 1280x720 page signed in with `token` (the test admin by default); page errors and CSP violations are collected. */
  newPage(options?: { token?: string | null; width?: number; height?: number }): Promise<{ page: Page; errors: string[] }>;
  stop(): Promise<void>;
}

/**
 * A real Orthanc seeded by `seed`, the real server in-process with a PACS endpoint for it, the built
 * viewer served by that server, and a real chromium.
 */
export async function startViewerStack(seed: (orthanc: OrthancInstance) => Promise<void>, serverOptions: Omit<TestServerOptions, 'dicomwebUrl'> = {}): Promise<ViewerStack> {
  ensureViewerBuilt();
  mkdirSync(artifactsDir, { recursive: true });
  const orthanc = await OrthancInstance.start();
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  try {
    await seed(orthanc);
    server = await startTestServer({ ...serverOptions, dicomwebUrl: orthanc.dicomwebUrl });
    browser = await launchChromium();
  } catch (error) {
    await server?.stop();
    orthanc.destroy();
    throw error;
  }
  const started = { server, browser };
  return {
    orthanc,
    server,
    browser,
    async newPage(options = {}) {
      const context = await started.browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 720 } });
      const token = options.token === undefined ? TEST_ADMIN_TOKEN : options.token;
      if (token) await context.addInitScript((t) => localStorage.setItem('covseg.token', t), token);
      // Every Content-Security-Policy violation counts as a page error, so each e2e test also proves the
      // viewer works under the server's CSP (apps/server/src/middleware/security.middleware.ts).
      await context.addInitScript(() =>
        document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`)),
      );
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error' && /CSP violation|Content Security Policy/.test(message.text())) errors.push(message.text());
      });
      return { page, errors };
    },
    async stop() {
      await started.browser.close();
      await started.server.stop();
      orthanc.destroy();
    },
  };
}

/** The deep link the demo prints. */
export function viewerUrl(server: TestServer, study: string, series: string): string {
  return `${server.baseUrl}/#/viewer?${new URLSearchParams({ endpoint: server.pacsEndpointId!, study, series })}`;
}

/** Waits until the canvas shows a first slice. */
export async function waitForFirstImage(page: Page): Promise<void> {
  await page.waitForFunction(() => (window.__covseg?.viewState().rendered ?? -1) >= 0, undefined, { timeout: 60_000 });
}

/** Waits until the viewer finished opening: first image, overlays loaded, and the jump to the SEG's slice drawn. */
export async function waitForViewerReady(page: Page): Promise<void> {
  await page.locator('[data-testid=viewport][data-ready=true]').waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => {
    const state = window.__covseg!.viewState();
    return state.rendered === state.index;
  });
}

declare global {
  interface Window {
    __covseg?: {
      viewState(): { index: number; rendered: number; count: number; windowWidth: number; windowCenter: number; scale: number };
      sliceUids(): string[];
      sliceFrames(): Array<number | null>;
      loadedCount(): number;
      cachedCount(): number;
      loadTimes(): {
        firstShownAt: number | undefined;
        allCachedAt: number | undefined;
        stream: { startedAt: number; responseAt?: number; firstSliceAt?: number; lastSliceAt?: number; endedAt?: number; outcome: string; delivered: number } | undefined;
      };
      renderTimings(since?: number): Array<{ at: number; imageMs: number; overlayMs: number; overlayOnly: boolean }>;
      show(index: number): Promise<void>;
      overlayReadBack(): { index: number; rows: number; columns: number; states: number[] } | undefined;
      overlayColorAt(x: number, y: number): [number, number, number, number] | undefined;
      overlaySlices(): number[];
      imageChecksum(): number;
      storedPixelSum(): { sum: number; count: number } | undefined;
      imageToClient(x: number, y: number): { x: number; y: number } | undefined;
      editMask(index: number): number[] | undefined;
    };
  }
}

