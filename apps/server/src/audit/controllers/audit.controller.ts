import { Controller, Get, Inject, Query, UsePipes } from '@nestjs/common';
import { Roles } from '../../core/decorators/auth.decorators';
import { AuditQueryDto } from '../dtos/audit.dto';
import { AuditEntry } from '../repositories/audit.repository';
import { AuditService } from '../services/audit.service';
import { strictValidation } from '../../core/http/strict-validation';

@Controller('api/audit')
@Roles('admin')
@UsePipes(strictValidation)
export class AuditController {
  constructor(@Inject(AuditService) private readonly audit: AuditService) {}

  /** Newest first. */
  @Get()
  list(@Query() query: AuditQueryDto): Promise<AuditEntry[]> {
    return this.audit.list(query.limit ?? 100, query.before);
  }
}
