import { session } from '../state/session';

/** Base class of every failure the viewer's HTTP layer reports. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    message: string,
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The server answered 401: the token is missing, expired or revoked. The UI shows the login prompt. */
export class UnauthorizedError extends ApiError {
  override name = 'UnauthorizedError';
}

/** The request never got an HTTP answer (server down, network error). */
export class NetworkError extends ApiError {
  override name = 'NetworkError';
}

type UnauthorizedHandler = () => void;
let onUnauthorized: UnauthorizedHandler = () => undefined;

/** The shell registers the login prompt here; every 401 anywhere in the viewer ends up in it. */
export function setUnauthorizedHandler(handler: UnauthorizedHandler): void {
  onUnauthorized = handler;
}

/** Opens the login prompt; for callers that use fetch directly (the frame loader). */
export function reportUnauthorized(): void {
  onUnauthorized();
}

/** Adds `Authorization: Bearer <token>` from the session to a request's headers. */
export function authHeaders(extra?: HeadersInit): Headers {
  const headers = new Headers(extra);
  const token = session.getToken();
  if (token) headers.set('Authorization', `Bearer ${token}`);
  return headers;
}

/**
 * fetch() with the bearer token, which turns every non-2xx answer into an ApiError whose message
 * names the operation and target (`GET /api/jobs/12 failed with status 404: job not found`).
 */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const method = (init.method ?? 'GET').toUpperCase();
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers: authHeaders(init.headers) });
  } catch (cause) {
    throw new NetworkError(`${method} ${path} failed: the server did not answer`, 0, { cause });
  }
  if (response.ok) return response;
  const reason = await readReason(response);
  // The path without its query: messages reach the user, and the query holds long UIDs.
  const message = `${method} ${path.split('?')[0]} failed with status ${response.status}${reason ? `: ${reason}` : ''}`;
  if (response.status === 401) {
    onUnauthorized();
    throw new UnauthorizedError(message, 401);
  }
  throw new ApiError(message, response.status);
}

export async function apiJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await apiFetch(path, { ...init, headers: withJsonHeaders(init) });
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

function withJsonHeaders(init: RequestInit): Headers {
  const headers = new Headers(init.headers);
  if (!headers.has('Accept')) headers.set('Accept', 'application/json');
  if (typeof init.body === 'string' && !headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
  return headers;
}

async function readReason(response: Response): Promise<string> {
  try {
    const text = await response.text();
    try {
      const body = JSON.parse(text) as { message?: unknown; error?: unknown };
      const message = Array.isArray(body.message) ? body.message.join('; ') : body.message;
      return typeof message === 'string' ? message : typeof body.error === 'string' ? body.error : text.slice(0, 200);
    } catch {
      return text.slice(0, 200);
    }
  } catch {
    return '';
  }
}

/** Builds `path?k=v` leaving out empty values. */
export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
