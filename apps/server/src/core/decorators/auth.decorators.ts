import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Principal } from '../principal';
import type { Role } from '../config/trust.config';

export const IS_PUBLIC_KEY = 'covseg:isPublic';
export const ROLES_KEY = 'covseg:roles';

/**
 * Opens a route to anonymous callers. Only for `/api/health`, the login page and login-link
 * redemption: everything else, the DICOMweb proxy included, needs a token.
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);

/** Restricts a route (or controller) to a role; without it a route needs any authenticated caller. */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES_KEY, roles);

/** The authenticated caller, as set on the request by `AuthGuard`. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const request = context.switchToHttp().getRequest<{ principal?: Principal }>();
  if (!request.principal) throw new Error('CurrentPrincipal used on a route without AuthGuard (a @Public route?)');
  return request.principal;
});
