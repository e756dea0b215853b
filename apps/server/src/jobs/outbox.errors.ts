import { ConflictException, NotFoundException } from '@nestjs/common';

/** No outbox entry has this id (404). */
export class OutboxEntryNotFoundError extends NotFoundException {
  override name = 'OutboxEntryNotFoundError';
}

/** The entry cannot be re-delivered now: not failed, or its payload is gone (409); the message says which. */
export class OutboxRedeliveryRefusedError extends ConflictException {
  override name = 'OutboxRedeliveryRefusedError';
}
