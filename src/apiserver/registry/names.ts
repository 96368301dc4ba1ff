// Name validation as Kubernetes applies it to metadata.name.

import type { StatusCause } from '../errors.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function validateSubdomain(value: string, field: string): StatusCause[] {
  if (value.length > 253) {
    return [{ reason: 'FieldValueInvalid', field, message: `Invalid value: "${value}": must be no more than 253 characters` }];
  }
  if (!DNS1123_SUBDOMAIN.test(value)) {
    return [
      {
        reason: 'FieldValueInvalid',
        field,
        message:
          `Invalid value: "${value}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', ` +
          `and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is ` +
          `'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      },
    ];
  }
  return [];
}

export function validateLabel(value: string, field: string): StatusCause[] {
  if (value.length > 63 || !DNS1123_LABEL.test(value)) {
    return [
      {
        reason: 'FieldValueInvalid',
        field,
        message:
          `Invalid value: "${value}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', ` +
          `and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is ` +
          `'[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
      },
    ];
  }
  return [];
}

const RANDOM_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The 5-character suffix Kubernetes appends to generateName (no vowels, no confusable digits). */
export function randomSuffix(length = 5): string {
  let s = '';
  for (let i = 0; i < length; i++) s += RANDOM_ALPHABET[Math.floor(Math.random() * RANDOM_ALPHABET.length)];
  return s;
}
