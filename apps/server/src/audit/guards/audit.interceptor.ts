import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { Observable, concatMap } from 'rxjs';
import { AUDITED_KEY } from '../decorators/audited.decorator';
import { actorOf, Principal } from '../../core/principal';
import { AuditService } from '../services/audit.service';

/** Global interceptor behind `@Audited(...)`: feature controllers get auditing without injecting anything. */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const meta = this.reflector.get<{ action: string; targetType: string } | undefined>(AUDITED_KEY, context.getHandler());
    if (!meta) return next.handle();
    const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    return next.handle().pipe(
      // The audit row is written before the response goes out: an action that cannot be audited fails.
      concatMap(async (result) => {
        const id = (request.params as Record<string, string>)?.id ?? (result as { id?: unknown } | undefined)?.id;
        const body = request.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>) : {};
        const actor = request.principal ? actorOf(request.principal) : 'anonymous';
        await this.audit.record(actor, meta.action, `${meta.targetType}:${String(id ?? '-')}`, { fields: Object.keys(body).sort(), ...body });
        return result;
      }),
    );
  }
}
