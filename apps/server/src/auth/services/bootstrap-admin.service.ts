import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { TRUST_CONFIG, TrustConfig } from '../../core/config/trust.config';
import { AuditService } from '../../audit/services/audit.service';
import { TokenService } from './token.service';

/** Writes one line to stderr; a seam so tests can capture the one-time banner. */
export type StderrWriter = (text: string) => void;
export const STDERR_WRITER = Symbol('STDERR_WRITER');

/**
 * A fresh install needs one admin token to create the others.
 * - `COVSEG_BOOTSTRAP_ADMIN_TOKEN` set: its hash is registered (idempotently) on every boot.
 * - otherwise, when no live admin token exists: one is generated and printed ONCE to stderr. Only its
 *   hash is kept, so it cannot be shown again; a lost token means revoking via another admin or
 *   restarting with the env variable.
 * The banner goes to stderr directly, not through the logger, so log shipping never collects it.
 */
@Injectable()
export class BootstrapAdminService implements OnApplicationBootstrap {
  private readonly logger = new Logger(BootstrapAdminService.name);

  constructor(
    @Inject(TRUST_CONFIG) private readonly config: TrustConfig,
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(STDERR_WRITER) private readonly writeStderr: StderrWriter,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.bootstrapAdminToken) {
      if (await this.tokens.register(this.config.bootstrapAdminToken, 'admin', 'bootstrap (COVSEG_BOOTSTRAP_ADMIN_TOKEN)')) {
        await this.audit.record('system:bootstrap', 'token.bootstrap', 'token:bootstrap-env', { source: 'env' });
        this.logger.log('Registered the bootstrap admin token from COVSEG_BOOTSTRAP_ADMIN_TOKEN');
      }
      return;
    }
    if (await this.tokens.hasActiveAdmin()) return;
    const issued = await this.tokens.issue('admin', 'bootstrap (generated on first boot)', 'bootstrap');
    await this.audit.record('system:bootstrap', 'token.bootstrap', `token:${issued.id}`, { source: 'generated' });
    this.writeStderr(
      [
        '',
        '==================================================================',
        ' covseg: no admin token existed, so one was generated.',
        ' It is shown only this once; store it now:',
        '',
        `   COVSEG_ADMIN_TOKEN=${issued.token}`,
        '',
        ' Use it as "Authorization: Bearer <token>" to create other tokens.',
        '==================================================================',
        '',
      ].join('\n'),
    );
  }
}
