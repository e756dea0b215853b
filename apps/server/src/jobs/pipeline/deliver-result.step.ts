import { DicomwebError, DimseError, retry } from '@covseg/dicom';
import { PacsGateway } from '../../pacs/repositories/pacs.gateway';
import { OutboxEntry, OutboxRepository } from '../repositories/outbox.repository';
import { JobContext } from './job-context';
import { DeliveryUnconfirmedError } from './job.errors';
import { ResultTransport } from './result-transport';

/**
 * Stores Part 10 objects with the endpoint's transport (STOW-RS or C-STORE), one store per object, in
 * the given order (neither the DicomwebClient nor the C-STORE SCU retries by itself). Order matters:
 * callers put the SR last, so an SR on the PACS means its SEG and key images got there first.
 * A STOW-RS is sent again only when its failure proves the PACS did not process it (PacsGateway.mayResend);
 * after a 500 or a timeout the job fails and the outbox sweeper retries the delivery later.
 * @param objects Part 10 files; only read.
 */
export async function storeObjects(context: JobContext, transport: ResultTransport, studyInstanceUID: string, objects: readonly Uint8Array[]): Promise<void> {
  for (const bytes of objects) {
    try {
      await retry(() => transport.deliver([bytes], studyInstanceUID, context.signal), {
        retries: context.retry.retries,
        backoffMs: context.retry.baseMs,
        signal: context.signal,
        shouldRetry: mayRedeliver,
      });
    } catch (error) {
      // A transient STOW failure we did not repeat: say so, rather than "the PACS did not answer after N attempts".
      if (error instanceof DicomwebError && error.transient && !PacsGateway.mayResend(error) && !context.signal.aborted) throw new DeliveryUnconfirmedError(error);
      throw error;
    }
  }
}

/** STOW-RS: only a failure that proves nothing was stored. C-STORE: a transient DIMSE failure (same SOP Instance UIDs: the PACS replaces). */
function mayRedeliver(error: unknown): boolean {
  if (error instanceof DicomwebError) return PacsGateway.mayResend(error);
  return error instanceof DimseError && error.transient;
}

/**
 * Delivers an outbox entry (SEG, key images, SR) and marks it delivered. The bytes come from the outbox
 * (files or database), never from a rebuild, so a resumed job sends the identical instances (same SOP Instance UIDs)
 * and the PACS replaces rather than duplicates what the crashed attempt already stored: a kill between
 * two stores leaves the entry pending, and the next attempt completes the set.
 * @param written the very objects `outbox.add` just stored for this entry, in its order, when the caller
 *   still holds them: they are sent as they are instead of being read back. A 600-slice job delivers at its
 *   memory peak (its volume and masks not yet collected), where reading the SEG back cost another 40 MB.
 */
export async function deliverResult(context: JobContext, outbox: OutboxRepository, entry: OutboxEntry, transport: ResultTransport, written?: readonly Uint8Array[]): Promise<void> {
  if (entry.status !== 'pending') return;
  const objects = written ?? (await outbox.readObjects(entry));
  try {
    await context.time('stow', () => storeObjects(context, transport, entry.studyInstanceUID, objects));
  } catch (error) {
    // The job fails with this error; the outbox sweeper retries the delivery later, with backoff, until
    // OUTBOX_MAX_ATTEMPTS (then the entry is failed, with this reason). A shutdown or cancel is no failure.
    if (!context.signal.aborted) await outbox.recordFailure(entry.id, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    throw error;
  }
  await outbox.markDelivered(entry.id);
}
