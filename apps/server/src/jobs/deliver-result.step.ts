import { DicomwebClient } from '@covseg/dicom';
import { OutboxEntry, OutboxRepository } from '../repositories/outbox.repository';
import { JobContext } from './job-context';
import { RetryOptions, withRetry } from './retry';

/** Where a result goes: one PACS endpoint, reached by STOW-RS today (C-STORE is the other transport). */
export interface DeliveryTarget {
  client: DicomwebClient;
  studyInstanceUID: string;
  signal: AbortSignal;
  retry: RetryOptions;
}

/**
 * Stores Part 10 objects on one endpoint, one store per object, in the given order, each retried on
 * transient failures (the DicomwebClient itself never retries STOW). The transport lives only here:
 * swapping STOW-RS for C-STORE changes this function and nothing else.
 * Order matters: callers put the SR last, so an SR on the PACS means its SEG got there first.
 * @param objects Part 10 files; only read.
 */
export async function storeObjects(target: DeliveryTarget, objects: readonly Uint8Array[]): Promise<void> {
  for (const bytes of objects) {
    await withRetry(() => target.client.store([bytes], target.studyInstanceUID, target.signal), target.retry);
  }
}

/**
 * Delivers an outbox entry (SEG, key images, SR) and marks it delivered. The bytes come from the outbox
 * files, never from a rebuild, so a resumed job sends the identical instances (same SOP Instance UIDs)
 * and the PACS replaces rather than duplicates what the crashed attempt already stored: a kill between
 * two stores leaves the entry pending, and the next attempt completes the set.
 */
export async function deliverResult(context: JobContext, outbox: OutboxRepository, entry: OutboxEntry): Promise<void> {
  if (entry.status !== 'pending') return;
  const objects = outbox.readObjects(entry);
  try {
    await context.time('stow', () => storeObjects({ client: context.client, studyInstanceUID: entry.studyInstanceUID, signal: context.signal, retry: context.retry }, objects));
  } catch (error) {
    // The job fails with this error; the outbox sweeper retries the delivery later, with backoff, until
    // OUTBOX_MAX_ATTEMPTS (then the entry is failed, with this reason). A shutdown or cancel is no failure.
    if (!context.signal.aborted) outbox.recordFailure(entry.id, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    throw error;
  }
  outbox.markDelivered(entry.id);
}
