import { OutboxEntry, OutboxRepository } from '../repositories/outbox.repository';
import { JobContext } from './job-context';
import { ResultTransport } from './result-transport';
import { withRetry } from './retry';

/**
 * Delivers an outbox SEG with the endpoint's transport (STOW-RS or C-STORE), then marks it delivered.
 * The bytes come from the outbox file, never from a rebuild, so a resumed job sends the identical
 * instance (same SOP Instance UID) and the PACS replaces rather than duplicates it. Transient failures
 * are retried with backoff; neither the DicomwebClient nor the C-STORE SCU retries by itself.
 */
export async function deliverSeg(context: JobContext, outbox: OutboxRepository, entry: OutboxEntry, transport: ResultTransport): Promise<void> {
  if (entry.status !== 'pending') return;
  const bytes = outbox.readBytes(entry);
  try {
    await context.time('stow', () => withRetry(() => transport.deliver([bytes], entry.studyInstanceUID, context.signal), context.retry));
  } catch (error) {
    // The job fails with this error; the outbox sweeper retries the delivery later, with backoff, until
    // OUTBOX_MAX_ATTEMPTS (then the entry is failed, with this reason). A shutdown or cancel is no failure.
    if (!context.signal.aborted) outbox.recordFailure(entry.id, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    throw error;
  }
  outbox.markDelivered(entry.id);
}
