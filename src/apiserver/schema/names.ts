// The name checks of k8s.io/apimachinery/pkg/util/validation, with their exact messages, as
// CRD validation reports them.

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
const DNS1035_LABEL = '[a-z]([-a-z0-9]*[a-z0-9])?';

function regexError(message: string, regex: string, ...examples: string[]): string {
  // apimachinery's RegexError joins examples this way, double space included.
  const shown = examples.map((e, i) => `${i > 0 ? ' or ' : ''}'${e}', `).join('');
  return `${message} (e.g. ${shown}regex used for validation is '${regex}')`;
}

function maxLengthError(max: number): string {
  return `must be no more than ${max} characters`;
}

/** Messages for a value that is not a lowercase RFC 1123 subdomain (empty list when it is). */
export function dns1123SubdomainErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 253) errors.push(maxLengthError(253));
  if (!new RegExp(`^${DNS1123_SUBDOMAIN}$`).test(value)) {
    errors.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        DNS1123_SUBDOMAIN,
        'example.com',
      ),
    );
  }
  return errors;
}

/** Messages for a value that is not a DNS-1035 label (empty list when it is). */
export function dns1035LabelErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 63) errors.push(maxLengthError(63));
  if (!new RegExp(`^${DNS1035_LABEL}$`).test(value)) {
    errors.push(
      regexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        DNS1035_LABEL,
        'my-name',
        'abc-123',
      ),
    );
  }
  return errors;
}
