// JSON merge patch (RFC 7386), the `application/merge-patch+json` content type.

import { deepClone, getOwn, isObject, setOwn, type JsonObject } from './values.js';

/** Applies `patch` to `original` and returns the result; neither input is modified. */
export function jsonMergePatch(original: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return deepClone(patch);
  // A non-object target is replaced by an object the patch's members are merged into (RFC 7386 §2).
  const target: JsonObject = isObject(original) ? deepClone(original) : {};
  mergeInto(target, patch);
  return target;
}

/** Merges in place: `target` is a private copy, so mutating it is safe and avoids re-copying per level. */
function mergeInto(target: JsonObject, patch: JsonObject): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete target[key];
    } else if (isObject(value)) {
      const current = getOwn(target, key);
      const child: JsonObject = isObject(current) ? current : {};
      mergeInto(child, value);
      setOwn(target, key, child);
    } else {
      setOwn(target, key, deepClone(value));
    }
  }
}
