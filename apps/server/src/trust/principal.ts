import type { Role } from './trust.config';

/**
 * Who is calling. `subject` is safe to log and audit: a token id (never the token) or the OIDC `sub`.
 */
export interface Principal {
  kind: 'token' | 'oidc' | 'system';
  role: Role;
  subject: string;
}

/** True when `principal` may use a route that requires `role`; admin includes every user right. */
export function hasRole(principal: Principal, role: Role): boolean {
  return principal.role === 'admin' || principal.role === role;
}

/** How a principal is named in audit entries and logs, e.g. `token:k3J9…` or `oidc:alice-sub`. */
export function actorOf(principal: Principal): string {
  return `${principal.kind}:${principal.subject}`;
}
