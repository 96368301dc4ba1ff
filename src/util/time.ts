// Kubernetes' two wire forms of a time, made in one place: metav1.Time has whole seconds
// (`2026-01-02T03:04:05Z`), metav1.MicroTime microseconds (`2026-01-02T03:04:05.123000Z`).
// JavaScript dates carry milliseconds, so MicroTime ends in three zeros.

/** A metav1.Time: RFC 3339 in UTC with whole seconds. */
export function rfc3339(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** A metav1.MicroTime: RFC 3339 in UTC with six digits of fraction. */
export function microTime(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
