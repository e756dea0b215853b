// The subset of cornerstone-core 2.6 the viewer uses. The package ships no types.
declare module 'cornerstone-core' {
  export interface Voi {
    windowWidth: number;
    windowCenter: number;
  }
  export interface Viewport {
    scale: number;
    translation: { x: number; y: number };
    voi: Voi;
    invert: boolean;
    pixelReplication: boolean;
    rotation: number;
    hflip: boolean;
    vflip: boolean;
  }
  export interface Image {
    imageId: string;
    rows: number;
    columns: number;
    width: number;
    height: number;
  }
  export interface EnabledElement {
    element: HTMLElement;
    canvas: HTMLCanvasElement;
    image?: Image;
    viewport?: Viewport;
  }
  export interface Transform {
    m: [number, number, number, number, number, number];
  }
  export interface ImageLoadObject {
    promise: Promise<unknown>;
    cancelFn?: () => void;
  }
  export const EVENTS: { IMAGE_RENDERED: string; ELEMENT_DISABLED: string };
  export function enable(element: HTMLElement, options?: Record<string, unknown>): void;
  export function disable(element: HTMLElement): void;
  export function getEnabledElement(element: HTMLElement): EnabledElement;
  export function displayImage(element: HTMLElement, image: unknown, viewport?: Partial<Viewport>): void;
  export function loadAndCacheImage(imageId: string): Promise<Image>;
  export function registerImageLoader(scheme: string, loader: (imageId: string) => ImageLoadObject): void;
  export function getViewport(element: HTMLElement): Viewport | undefined;
  export function setViewport(element: HTMLElement, viewport: Partial<Viewport>): void;
  export function reset(element: HTMLElement): void;
  export function resize(element: HTMLElement, forceFitToWindow?: boolean): void;
  export function updateImage(element: HTMLElement): void;
  export function pixelToCanvas(element: HTMLElement, point: { x: number; y: number }): { x: number; y: number };
  export function canvasToPixel(element: HTMLElement, point: { x: number; y: number }): { x: number; y: number };
  export const imageCache: {
    purgeCache(): void;
    setMaximumSizeBytes(bytes: number): void;
    /** cornerstone's cache by image id; `loaded` once the image load object resolved. */
    imageCache: Record<string, { loaded: boolean } | undefined>;
  };
  export const internal: { getTransform(enabledElement: EnabledElement): Transform };
}
