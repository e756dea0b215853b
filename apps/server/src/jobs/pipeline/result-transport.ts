import { DicomwebClient } from '@covseg/dicom';
import { DimseScuRepository } from '../../pacs/repositories/dimse-scu.repository';
import { PacsEndpointRecord } from '../../pacs/repositories/pacs-endpoint.repository';

/**
 * How result objects (SEG, and SR/key images as they come) reach an endpoint: the one deliver function
 * the outbox calls, whichever transport the endpoint chose. Delivering the same objects again is safe
 * with both (same SOP Instance UIDs: PS3.4 B.4.1 for STOW, B.2.2 for C-STORE; the PACS replaces).
 */
export interface ResultTransport {
  readonly name: 'stow' | 'c-store';
  /** Stores Part 10 objects of one study; throws the transport's errors (transient ones are retried by the caller). */
  deliver(objects: readonly Uint8Array[], studyInstanceUID: string, signal: AbortSignal): Promise<void>;
}

/** STOW-RS to the endpoint's DICOMweb root (PS3.18 10.5). */
export function stowTransport(client: () => DicomwebClient): ResultTransport {
  return {
    name: 'stow',
    deliver: async (objects, studyInstanceUID, signal) => {
      await client().store([...objects], studyInstanceUID, signal);
    },
  };
}

/** C-STORE to the endpoint's DICOM AE (PS3.4 Annex B), all objects in one association. */
export function cStoreTransport(scu: DimseScuRepository, endpoint: PacsEndpointRecord): ResultTransport {
  return {
    name: 'c-store',
    deliver: async (objects) => {
      await scu.store(endpoint, objects);
    },
  };
}

/**
 * The same transport, telling `stored` after every delivery into a study, successful or not (a STOW-RS
 * that timed out may have stored): the viewer proxy of this process then forgets its recent answers of that study.
 */
export function announcingStores(transport: ResultTransport, stored: (studyInstanceUID: string) => void): ResultTransport {
  return {
    name: transport.name,
    deliver: async (objects, studyInstanceUID, signal) => {
      try {
        await transport.deliver(objects, studyInstanceUID, signal);
      } finally {
        stored(studyInstanceUID);
      }
    },
  };
}
