import { Inject, Injectable } from '@nestjs/common';
import { AuditEntry, AuditRepository } from '../repositories/audit.repository';

// Keys whose values never enter the audit log, whatever the caller passes. Redacting here, at the one
// door into the table, means a careless caller cannot leak a secret into it.
const SECRET_KEY_PATTERN = /secret|password|passwd|token|authorization|credential|apikey|api_key|cookie/i;

/** Replaces values under secret-looking keys with `[redacted]`, recursively. Returns a new object. */
export function redactSecrets(details: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(details)) {
    if (SECRET_KEY_PATTERN.test(key)) out[key] = '[redacted]';
    else if (value && typeof value === 'object' && !Array.isArray(value)) out[key] = redactSecrets(value as Record<string, unknown>);
    else out[key] = value;
  }
  return out;
}

/**
 * Who did what to which target, and when. `actor` is `token:<id>`, `oidc:<sub>` or `system:<part>`;
 * `target` names the object (`pacs-endpoint:<id>`); details carry field names and non-secret values.
 */
@Injectable()
export class AuditService {
  constructor(@Inject(AuditRepository) private readonly repository: AuditRepository) {}

  record(actor: string, action: string, target: string, details: Record<string, unknown> = {}, now = new Date()): Promise<void> {
    return this.repository.append({ at: now.toISOString(), actor, action, target, details: redactSecrets(details) });
  }

  list(limit = 100, beforeId?: number): Promise<AuditEntry[]> {
    return this.repository.list(Math.min(Math.max(limit, 1), 1000), beforeId);
  }
}
