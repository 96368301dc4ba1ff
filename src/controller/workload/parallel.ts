// Bounded concurrency for a reconcile's writes: a rollout of 1,000 pods must neither send them
// one by one nor all at once.

/**
 * Runs `fn` on every item, at most `limit` at a time. Every item runs even when some fail; the
 * first error (with the number of failures) is thrown at the end.
 */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const errors: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  if (errors.length) throw withCount(errors);
}

/**
 * Kubernetes' slowStartBatch for creations: batches of 1, 2, 4, ... (up to `maxBatch`), stopping
 * after a batch with a failure, so a create that fails for every pod (quota, a bad template)
 * costs one request rather than a thousand. Returns how many succeeded; throws the first error.
 */
export async function slowStart<T>(items: readonly T[], maxBatch: number, fn: (item: T) => Promise<void>): Promise<number> {
  let done = 0;
  let batch = 1;
  while (done < items.length) {
    const slice = items.slice(done, done + batch);
    const results = await Promise.allSettled(slice.map(fn));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    done += slice.length;
    if (failed.length) {
      const ok = done - failed.length;
      throw Object.assign(withCount(failed.map((f) => f.reason)), { succeeded: ok });
    }
    batch = Math.min(batch * 2, Math.max(1, maxBatch));
  }
  return done;
}

function withCount(errors: unknown[]): Error {
  const first = errors[0] instanceof Error ? (errors[0] as Error) : new Error(String(errors[0]));
  if (errors.length === 1) return first;
  return new Error(`${first.message} (and ${errors.length - 1} more failure${errors.length > 2 ? 's' : ''})`, { cause: first });
}
