import type { Teardown } from './dom';
import { showError } from './toast';

/**
 * What a view sets up while it is still loading: each teardown pushed here runs as soon as the user
 * leaves, even before the view's promise settles. `closed` tells a loading view to stop.
 */
export class ViewScope {
  private readonly teardowns: Teardown[] = [];
  closed = false;

  push(...teardowns: Teardown[]): void {
    if (this.closed) teardowns.forEach((t) => t());
    else this.teardowns.push(...teardowns);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const teardown of this.teardowns.reverse()) teardown();
  }
}

export type View = (container: HTMLElement, params: URLSearchParams, scope: ViewScope) => Teardown | Promise<Teardown>;

/**
 * Hash router: `#/<name>?<query>`. Before mounting a view it calls the previous view's teardown
 * (OHIF rule: what a view sets up, it tears down).
 */
export class Router {
  private scope: ViewScope | undefined;

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
    this.scope?.close();
    const scope = new ViewScope();
    this.scope = scope;
    this.container.replaceChildren();
    this.onRoute(name);
    try {
      scope.push(await view(this.container, params, scope));
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
