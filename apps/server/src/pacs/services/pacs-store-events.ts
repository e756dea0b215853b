import { Injectable } from '@nestjs/common';

/** Told that this process stored objects into one study of one endpoint. */
export type StoredListener = (endpointId: string, studyInstanceUID: string) => void;

/**
 * This process's stores to a PACS (a job's SEG/SR/key images by STOW-RS or C-STORE, a correction), so
 * that what keeps recent answers of that PACS (the viewer proxy's recent answers) can forget the study at
 * once. In-process only: another process of a scaled deployment learns nothing from here, which is why
 * every such memory must also expire on its own within a bound it documents.
 */
@Injectable()
export class PacsStoreEvents {
  private readonly listeners = new Set<StoredListener>();

  /** Calls `listener` after each store of this process; returns the unsubscribe function. */
  onStored(listener: StoredListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Says a store into the study was attempted, whether it succeeded or not: a STOW-RS that timed out or
   * answered 500 may still have stored, so callers call this in `finally`.
   */
  stored(endpointId: string, studyInstanceUID: string): void {
    for (const listener of this.listeners) listener(endpointId, studyInstanceUID);
  }
}
