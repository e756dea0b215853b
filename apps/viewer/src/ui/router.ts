import type { Teardown } from './dom';
import { showError } from './toast';

export type View = (container: HTMLElement, params: URLSearchParams) => Teardown | Promise<Teardown>;

/**
 * Hash router: `#/<name>?<query>`. Before mounting a view it calls the previous view's teardown
 * (OHIF rule: what a view sets up, it tears down).
 */
export class Router {
  private teardown: Teardown | undefined;
  private generation = 0;

  constructor(
    private readonly container: HTMLElement,
    private readonly views: Record<string, View>,
    private readonly fallback: string,
    private readonly onRoute: (name: string) => void,
  ) {}

  start(): () => void {
    const listener = () => void this.render();
    window.addEventListener('hashchange', listener);
    void this.render();
    return () => window.removeEventListener('hashchange', listener);
  }

  /** Re-mounts the current view (after signing in). */
  reload(): void {
    void this.render();
  }

  private async render(): Promise<void> {
    const { name, params } = parseHash(location.hash);
    const view = this.views[name];
    if (!view) {
      location.hash = `#/${this.fallback}`;
      return;
    }
    const generation = ++this.generation;
    this.teardown?.();
    this.teardown = undefined;
    this.container.replaceChildren();
    this.onRoute(name);
    try {
      const teardown = await view(this.container, params);
      if (generation === this.generation) this.teardown = teardown;
      else teardown();
    } catch (error) {
      showError(error, `Opening ${name}`);
    }
  }
}

export function parseHash(hash: string): { name: string; params: URLSearchParams } {
  const text = hash.replace(/^#\/?/, '');
  const [name, query = ''] = text.split('?', 2);
  return { name: name || '', params: new URLSearchParams(query) };
}
