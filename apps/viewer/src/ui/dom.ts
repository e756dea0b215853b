type Child = Node | string | number | false | null | undefined;
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

/**
 * Creates an element: `h('button', { class: 'primary', onclick: go }, 'Go')`. Attributes named `on…` with
 * function values become listeners; `false`/`undefined` attributes are left out. Text is never parsed as HTML
 * (patient data goes in as text nodes).
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    // Through the CSSOM, never setAttribute('style'): the server's CSP (style-src 'self') blocks inline
    // style attributes but not CSSOM writes.
    else if (name === 'style') element.style.cssText = String(value);
    else element.setAttribute(name, String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

export function clear(element: Element): void {
  element.replaceChildren();
}

/** DICOM PN `Family^Given^Middle` as `Family, Given Middle` (display only, never logged). */
export function formatPersonName(name: string): string {
  const [family = '', given = '', middle = ''] = name.split('^');
  return [family, [given, middle].filter(Boolean).join(' ')].filter(Boolean).join(', ');
}

/** DICOM DA `YYYYMMDD` as `YYYY-MM-DD`. */
export function formatDicomDate(date: string): string {
  return /^\d{8}$/.test(date) ? `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}` : date;
}

/** A teardown function a view returns; the router calls it before mounting the next view. */
export type Teardown = () => void;
