// What a failed request tells its caller: the API server's Status, and tests on it named for
// the cases reconcilers and node agents handle.

/** The Status body of a failed request, as the API server sends it. */
export interface StatusBody {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: unknown;
}

/** A non-2xx answer: the request it answers, the HTTP status, and the body (a Status, or text). */
export class KubeApiError extends Error {
  readonly reason: string;

  constructor(
    readonly method: string,
    readonly path: string,
    readonly code: number,
    readonly body: StatusBody | string | undefined,
    readonly headers: Record<string, string> = {},
  ) {
    const status = typeof body === 'object' && body ? body : undefined;
    const detail = status ? `${status.reason ?? ''}${status.message ? `: ${status.message}` : ''}` : String(body ?? '').slice(0, 200);
    super(`${method} ${path}: ${code} ${detail}`.trim());
    this.name = 'KubeApiError';
    this.reason = status?.reason ?? '';
  }
}

/** The HTTP status of a failed request or watch, if it got one. */
export function errorCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | undefined;
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

export const isNotFound = (err: unknown): boolean => errorCode(err) === 404;
export const isConflict = (err: unknown): boolean => errorCode(err) === 409 && (err as { body?: StatusBody }).body?.reason !== 'AlreadyExists';
export const isAlreadyExists = (err: unknown): boolean => errorCode(err) === 409 && (err as { body?: StatusBody }).body?.reason === 'AlreadyExists';
export const isExpired = (err: unknown): boolean => errorCode(err) === 410;
