/** What the interaction tools need from a viewport; implemented by rendering/StackViewport. */
export interface ViewportControls {
  scrollBy(delta: number): Promise<void>;
  show(index: number): Promise<void>;
  readonly count: number;
  adjustVoi(dx: number, dy: number): void;
  setVoi(windowWidth: number, windowCenter: number): void;
  zoomBy(factor: number): void;
  panBy(dx: number, dy: number): void;
  reset(): void;
}

/** Undoes what a tool attached. */
export type Detach = () => void;

/** W/L presets in HU (width, level). */
export const PRESETS = {
  lung: { windowWidth: 1500, windowCenter: -600 },
  mediastinum: { windowWidth: 350, windowCenter: 50 },
} as const;
