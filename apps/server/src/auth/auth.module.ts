import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuditModule } from '../audit/audit.module';
import { AuthController } from './controllers/auth.controller';
import { LoginPageController } from './controllers/login-page.controller';
import { AuthGuard } from './guards/auth.guard';
import { LoginLinkRepository } from './repositories/login-link.repository';
import { TokenRepository } from './repositories/token.repository';
import { BootstrapAdminService, STDERR_WRITER, StderrWriter } from './services/bootstrap-admin.service';
import { LoginLinkService } from './services/login-link.service';
import { OidcService } from './services/oidc.service';
import { TokenService } from './services/token.service';

const writeStderr: StderrWriter = (text) => process.stderr.write(text);

/**
 * Authentication: API tokens, login links, optional OIDC, and the global deny-by-default guard. Routes
 * declare who may call them with `@Public()` / `@Roles(...)` from core/decorators. Exports the token and
 * login-link services (demo login links).
 */
@Module({
  imports: [AuditModule],
  controllers: [AuthController, LoginPageController],
  providers: [
    { provide: STDERR_WRITER, useValue: writeStderr },
    TokenRepository,
    LoginLinkRepository,
    TokenService,
    LoginLinkService,
    OidcService,
    BootstrapAdminService,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [TokenService, LoginLinkService],
})
export class AuthModule {}
