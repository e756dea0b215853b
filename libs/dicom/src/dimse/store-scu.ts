import dcmjs from 'dcmjs';
import { Client, constants, Dataset, requests, responses } from 'dcmjs-dimse';
import { DicomParseError } from '../errors';
import { DimseAssociationRejectedError, DimseNetworkError, DimseStatusError } from './dimse-errors';

/** A remote DICOM application entity (a PACS's C-STORE SCP). */
export interface DimseTarget {
  host: string;
  port: number;
  /** The remote AE title (called AE). */
  calledAeTitle: string;
  /** Our AE title (calling AE). */
  callingAeTitle: string;
  /** Connect, association and per-PDU timeout (ms). */
  timeoutMs: number;
}

export interface CStoreOutcome {
  sopInstanceUID: string;
  /** 0x0000 success, 0xB000/0xB007/0xB006 warnings (PS3.4 B.2.3): stored either way. */
  status: number;
}

type DimseClient = InstanceType<typeof Client>;

/** PS3.7 C.4: refused, SOP class not supported. */
const SOP_CLASS_NOT_SUPPORTED = 0x0122;

function describe(target: DimseTarget): string {
  return `${target.calledAeTitle}@${target.host}:${target.port}`;
}

/** Runs the requests of one association; settles when the association closes. */
function run(target: DimseTarget, client: DimseClient, operation: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let failure: Error | undefined;
    client.on('associationRejected', (reject_: { result: number; source: number; reason: number }) => {
      failure = new DimseAssociationRejectedError(
        `${operation} to ${describe(target)} failed: association rejected (result ${reject_.result}, source ${reject_.source}, reason ${reject_.reason})`,
        reject_.result,
        reject_.reason,
      );
    });
    client.on('networkError', (error: Error) => {
      failure ??= new DimseNetworkError(`${operation} to ${describe(target)} failed: ${error.message}`, { cause: error });
    });
    client.on('closed', () => (failure ? reject(failure) : resolve()));
    try {
      client.send(target.host, target.port, target.callingAeTitle, target.calledAeTitle, {
        connectTimeout: target.timeoutMs,
        associationTimeout: target.timeoutMs,
        pduTimeout: target.timeoutMs,
      });
    } catch (error) {
      reject(new DimseNetworkError(`${operation} to ${describe(target)} failed: ${(error as Error).message}`, { cause: error }));
    }
  });
}

/**
 * C-ECHO (PS3.7 9.1.5): opens an association proposing Verification and asks for an answer.
 * @returns the round trip in ms.
 * @throws DimseAssociationRejectedError, DimseNetworkError, DimseStatusError.
 */
export async function echoScu(target: DimseTarget): Promise<number> {
  const started = performance.now();
  const client = new Client();
  const request = new requests.CEchoRequest();
  let status: number | undefined;
  request.on('response', (response: InstanceType<typeof responses.CEchoResponse>) => (status = response.getStatus()));
  client.addRequest(request);
  await run(target, client, 'C-ECHO');
  if (status === undefined) throw new DimseNetworkError(`C-ECHO to ${describe(target)} failed: no response (Verification not accepted?)`);
  if (status !== constants.Status.Success) throw new DimseStatusError(`C-ECHO to ${describe(target)} answered status 0x${status.toString(16)}`, status);
  return Math.round(performance.now() - started);
}

/** A dcmjs-dimse Dataset from Part 10 bytes, read with our dcmjs (the naturalized form is the same). */
function toDataset(bytes: Uint8Array): Dataset {
  try {
    const file = dcmjs.data.DicomMessage.readFile(new Uint8Array(bytes).buffer, { ignoreErrors: false });
    const meta = dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.meta);
    return new Dataset(dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.dict), String(meta.TransferSyntaxUID));
  } catch (error) {
    throw new DicomParseError(`Reading a Part 10 object for C-STORE failed: ${(error as Error).message}`, undefined, { cause: error });
  }
}

/**
 * C-STORE SCU (PS3.4 Annex B): sends every object in one association, in order. Each object is
 * proposed in its own transfer syntax plus Explicit and Implicit VR Little Endian.
 * @param objects Part 10 files; only read.
 * @throws DimseAssociationRejectedError, DimseNetworkError (transient), DimseStatusError for the first
 *   object the peer refused (A7xx out of resources is transient, others are not).
 */
export async function storeScu(target: DimseTarget, objects: readonly Uint8Array[]): Promise<CStoreOutcome[]> {
  const client = new Client();
  const outcomes: CStoreOutcome[] = [];
  const datasets = objects.map(toDataset);
  for (const dataset of datasets) {
    const request = new requests.CStoreRequest(dataset);
    request.setAdditionalTransferSyntaxes([constants.TransferSyntax.ExplicitVRLittleEndian, constants.TransferSyntax.ImplicitVRLittleEndian]);
    const sopInstanceUID = String(dataset.getElement('SOPInstanceUID'));
    request.on('response', (response: InstanceType<typeof responses.CStoreResponse>) => outcomes.push({ sopInstanceUID, status: response.getStatus() }));
    client.addRequest(request);
  }
  await run(target, client, 'C-STORE');
  for (const [index, dataset] of datasets.entries()) {
    const sopInstanceUID = String(dataset.getElement('SOPInstanceUID'));
    const outcome = outcomes.find((o) => o.sopInstanceUID === sopInstanceUID);
    // The association ended without error yet this object got no response: the peer accepted no
    // presentation context for its SOP class (dcmjs-dimse then skips the request). Retrying will not help.
    if (!outcome) {
      throw new DimseStatusError(
        `C-STORE of SOP Instance ${sopInstanceUID} (object ${index + 1} of ${datasets.length}) to ${describe(target)} was not sent: the peer accepted no presentation context for SOP class ${String(dataset.getElement('SOPClassUID'))}`,
        SOP_CLASS_NOT_SUPPORTED,
      );
    }
    // PS3.4 B.2.3: 0000 success and Bxxx warnings mean stored; A7xx, A9xx, Cxxx are failures.
    if (outcome.status !== 0 && (outcome.status & 0xf000) !== 0xb000) {
      throw new DimseStatusError(`C-STORE of SOP Instance ${sopInstanceUID} to ${describe(target)} answered status 0x${outcome.status.toString(16)}`, outcome.status);
    }
  }
  return outcomes;
}
