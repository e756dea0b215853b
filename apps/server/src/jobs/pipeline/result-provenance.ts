import { AiProvenance, deviceUidFromDigest } from '@covseg/dicom';
import { SegmentationModel } from '@covseg/segmentation';

/** The server's own version, second in SoftwareVersions (the model's comes first). */
export const SERVER_VERSION = '0.1.0';
export const RESULT_MANUFACTURER = 'covseg';

/**
 * IHE AI Results provenance of everything a job writes (SEG, SR, key images): ManufacturerModelName is
 * the model's name, SoftwareVersions [model version, server version], and the Device UID is derived
 * from the SHA-256 of the model file, so any change to the model (retrained weights under the same
 * version included) gives a new Device UID. README "Which model made this result" shows the queries.
 */
export function modelProvenance(model: SegmentationModel): AiProvenance {
  return {
    manufacturer: RESULT_MANUFACTURER,
    manufacturerModelName: model.name.slice(0, 64),
    softwareVersions: [model.version.slice(0, 64), `covseg-server ${SERVER_VERSION}`],
    deviceUID: deviceUidFromDigest(model.sha256),
    deviceSerialNumber: model.sha256.slice(0, 16),
  };
}
