import { SetMetadata } from '@nestjs/common';

export const AUDITED_KEY = 'covseg:audited';

/**
 * Records a successful call of the route in the audit log as `action`, on target
 * `<targetType>:<:id param, or the response's id>`, with the request body's fields (values under
 * secret-like keys redacted by AuditService). Failed calls change nothing and are not recorded.
 */
export const Audited = (action: string, targetType: string): MethodDecorator => SetMetadata(AUDITED_KEY, { action, targetType });
