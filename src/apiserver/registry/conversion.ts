// Resources served under two APIs over one storage. events.k8s.io/v1 Events are the same
// objects as core/v1 Events, as in Kubernetes: stored in core form, converted on the way in
// and out, so an Event written through one API is read through the other.

import type { KObject } from '../types.js';

type Json = Record<string, any>;

interface Conversion {
  /** Storage key (`group/resource`) the objects live under. */
  storedAs: string;
  toStorage(obj: KObject): KObject;
  fromStorage(obj: KObject): KObject;
}

const RENAMES: [string, string][] = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['reportingComponent', 'reportingController'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
];

function rename(obj: KObject, pairs: [string, string][], apiVersion: string): KObject {
  const out: Json = { ...obj, apiVersion };
  for (const [from, to] of pairs) {
    if (from in out) {
      out[to] = out[from];
      delete out[from];
    }
  }
  return out as KObject;
}

const eventsV1: Conversion = {
  storedAs: '/events',
  toStorage: (o) => rename(o, RENAMES.map(([a, b]) => [b, a]), 'v1'),
  fromStorage: (o) => rename(o, RENAMES, 'events.k8s.io/v1'),
};

const CONVERSIONS = new Map<string, Conversion>([['events.k8s.io/v1/events', eventsV1]]);

export function conversionFor(group: string, version: string, resource: string): Conversion | undefined {
  return CONVERSIONS.get(`${group}/${version}/${resource}`);
}
