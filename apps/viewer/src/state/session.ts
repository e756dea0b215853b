/**
 * The signed-in session: the bearer token lives in localStorage (key `covseg.token`) so a pasted token or a
 * one-time login link survives reloads. Nothing else about the user is persisted.
 */
const TOKEN_KEY = 'covseg.token';

export type Role = 'admin' | 'reviewer' | 'user';

/** `GET /api/auth/me`: `subject` is a token id or OIDC subject, never a person's name. */
export interface Me {
  readonly kind: 'token' | 'oidc' | 'system';
  readonly subject: string;
  readonly role: Role;
}

type Listener = () => void;

class Session {
  private me: Me | undefined;
  private readonly listeners = new Set<Listener>();
  private markKnown: () => void = () => undefined;
  /** Resolves once the first `GET /api/auth/me` has answered (or failed), so role checks are not guesses. */
  readonly known: Promise<void> = new Promise((resolve) => (this.markKnown = resolve));

  getToken(): string | undefined {
    return localStorage.getItem(TOKEN_KEY) ?? undefined;
  }

  setToken(token: string): void {
    localStorage.setItem(TOKEN_KEY, token.trim());
    this.me = undefined;
    this.emit();
  }

  clear(): void {
    localStorage.removeItem(TOKEN_KEY);
    this.me = undefined;
    this.emit();
  }

  getMe(): Me | undefined {
    return this.me;
  }

  setMe(me: Me | undefined): void {
    this.me = me;
    this.markKnown();
    this.emit();
  }

  isAdmin(): boolean {
    return this.me?.role === 'admin';
  }

  /** May sign off AI results (save corrections, accept, reject): reviewers and admins (the server decides; this only hides buttons). */
  canReview(): boolean {
    return this.me?.role === 'admin' || this.me?.role === 'reviewer';
  }

  /** Returns an unsubscribe function; views call it in their teardown. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

export const session = new Session();
