import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { IS_PUBLIC_KEY, ROLES_KEY } from '../../core/decorators/auth.decorators';
import { AuthenticationRequiredError, InsufficientRoleError } from '../../core/errors';
import { hasRole, Principal } from '../../core/principal';
import { looksLikeJwt, OidcService } from '../services/oidc.service';
import { TokenService } from '../services/token.service';
import type { Role } from '../../core/config/trust.config';

/** The bearer credential of a request, or undefined. Only the Authorization header is read. */
export function bearerOf(request: Pick<Request, 'headers'>): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Registered as the global APP_GUARD: every route needs a valid token unless marked `@Public()`
 * (deny by default, so a new controller cannot be forgotten open). Tokens are read from the
 * Authorization header only, never from the query string, where they would end up in access logs
 * and browser history.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(OidcService) private readonly oidc: OidcService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) {
      // Open to anyone; a valid token still tells the route who calls (health shows admins the detail).
      // A bad token here is no refusal: the caller is treated as anonymous.
      request.principal = bearerOf(request) ? await this.authenticate(request).catch(() => undefined) : undefined;
      return true;
    }
    const principal = await this.authenticate(request);
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets) ?? [];
    if (roles.length > 0 && !roles.some((role) => hasRole(principal, role))) {
      throw new InsufficientRoleError(`${request.method} ${request.path} requires the ${roles.join(' or ')} role`);
    }
    request.principal = principal;
    return true;
  }

  private async authenticate(request: Request): Promise<Principal> {
    const bearer = bearerOf(request);
    if (!bearer) throw new AuthenticationRequiredError(`${request.method} ${request.path} requires a bearer token`);
    const principal = looksLikeJwt(bearer) && this.oidc.enabled ? await this.oidc.authenticate(bearer) : await this.tokens.authenticate(bearer);
    if (!principal) throw new AuthenticationRequiredError(`${request.method} ${request.path}: the bearer token is unknown, revoked or expired`);
    return principal;
  }
}
