import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AuditController } from './controllers/audit.controller';
import { AuditInterceptor } from './guards/audit.interceptor';
import { AuditRepository } from './repositories/audit.repository';
import { AuditService } from './services/audit.service';

/**
 * The audit log: `GET /api/audit` for admins, and a global interceptor that records every successful
 * call of a route marked `@Audited(...)`. Exports AuditService for modules that record events themselves.
 */
@Module({
  controllers: [AuditController],
  providers: [AuditRepository, AuditService, { provide: APP_INTERCEPTOR, useClass: AuditInterceptor }],
  exports: [AuditService],
})
export class AuditModule {}
