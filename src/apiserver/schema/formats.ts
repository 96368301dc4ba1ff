// The string formats kube-apiserver checks in CRD schemas. The numeric formats (int32, int64,
// float, double) are range checks, which kube-apiserver makes since 1.36: extensions.ts makes
// them; any other format is stripped before validation there, so it is ignored here too.

import type { Ajv, Format } from 'ajv';
import { fullFormats } from 'ajv-formats/dist/formats.js';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isIPv6(s: string): boolean {
  return (fullFormats.ipv6 as RegExp).test(s);
}

function isCidr(s: string): boolean {
  const [ip, bits, ...rest] = s.split('/');
  if (rest.length || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
  if (IPV4.test(ip)) return Number(bits) <= 32;
  return isIPv6(ip) && Number(bits) <= 128;
}

function uuidOfVersion(version: string): RegExp {
  return new RegExp(`^[0-9a-f]{8}-?[0-9a-f]{4}-?${version}[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$`, 'i');
}

/** ISBN digits with the usual separators; the check digit is not verified. */
function isbnOfLength(...lengths: number[]): (s: string) => boolean {
  return (s) => {
    const digits = s.replace(/[\s-]/g, '');
    return /^\d+[\dX]$/i.test(digits) && lengths.includes(digits.length);
  };
}

/** Keys are format names with dashes removed, as go-openapi normalizes them (date-time = datetime). */
const KUBERNETES_FORMATS: Record<string, Format> = {
  bsonobjectid: /^[0-9a-f]{24}$/i,
  // Go's url.ParseRequestURI: an absolute URI or an absolute path.
  uri: /^([a-z][a-z0-9+.-]*:|\/)\S*$/i,
  email: fullFormats.email,
  hostname: fullFormats.hostname,
  ipv4: IPV4,
  ipv6: isIPv6,
  cidr: isCidr,
  mac: /^([0-9a-f]{2}([:-]))([0-9a-f]{2}\2){4}[0-9a-f]{2}$|^([0-9a-f]{4}\.){2}[0-9a-f]{4}$/i,
  uuid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
  uuid3: uuidOfVersion('3'),
  uuid4: uuidOfVersion('4'),
  uuid5: uuidOfVersion('5'),
  isbn: isbnOfLength(10, 13),
  isbn10: isbnOfLength(10),
  isbn13: isbnOfLength(13),
  creditcard: (s: string) => /^\d{13,19}$/.test(s.replace(/\D/g, '')),
  ssn: /^\d{3}[- ]?\d{2}[- ]?\d{4}$/,
  hexcolor: /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i,
  rgbcolor: /^rgb\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*\)$/,
  byte: fullFormats.byte,
  password: () => true,
  date: fullFormats.date,
  // Go durations ("1h30m", "22 ns") rather than ISO 8601, as kube-openapi's strfmt parses them.
  duration: /^\s*[-+]?(\d+(\.\d+)?\s*(ns|us|µs|ms|s|m|h|d|w)\s*)+$|^\s*0\s*$/,
  datetime: fullFormats['date-time'],
};

export function normalizeFormatName(format: string): string {
  return format.replaceAll('-', '');
}

export function isSupportedFormat(format: unknown): format is string {
  return typeof format === 'string' && Object.hasOwn(KUBERNETES_FORMATS, normalizeFormatName(format));
}

export function addKubernetesFormats(ajv: Ajv): void {
  for (const [name, format] of Object.entries(KUBERNETES_FORMATS)) ajv.addFormat(name, format);
}
