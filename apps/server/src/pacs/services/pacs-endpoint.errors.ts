import { ConflictException } from '@nestjs/common';

/** Work was asked of a PACS endpoint an admin disabled (409: the request is fine, the endpoint's state refuses it). */
export class PacsEndpointDisabledError extends ConflictException {
  override name = 'PacsEndpointDisabledError';
}
