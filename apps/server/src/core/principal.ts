import type { Role } from './config/trust.config';

/**
 * Who is calling. `subject` is safe to log and audit: a token id (never the token) or the OIDC `sub`.
 */
export interface Principal {
  kind: 'token' | 'oidc' | 'system';
  role: Role;
  subject: string;
  /** The token's label as the admin gave it (e.g. "Dr. reader 3"), for audit entries that name a reviewer; tokens only. */
  label?: string;
}

const RANK: Record<Role, number> = { user: 1, reviewer: 2, admin: 3 };

/** True when `principal` may use a route that requires `role`: admin includes reviewer, reviewer includes user. */
export function hasRole(principal: Principal, role: Role): boolean {
  return RANK[principal.role] >= RANK[role];
}

/** How a principal is named in audit entries and logs, e.g. `token:k3J9…` or `oidc:alice-sub`. */
export function actorOf(principal: Principal): string {
  return `${principal.kind}:${principal.subject}`;
}
