// Field errors from semantic validation, in the shape and wording of the API server's
// StatusCause (k8s.io/apimachinery's field errors), so the controller can show them in a
// condition or an Event just as kubectl shows the server's: `spec.replicas: Invalid value: ...`.

export interface FieldCause {
  reason: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueDuplicate' | 'FieldValueForbidden';
  /** `spec.updateStrategy.rollingUpdate.maxUnavailable` */
  field: string;
  message: string;
}

function render(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  return JSON.stringify(value ?? null);
}

export function required(field: string, detail = ''): FieldCause {
  return { reason: 'FieldValueRequired', field, message: detail ? `Required value: ${detail}` : 'Required value' };
}

export function invalid(field: string, value: unknown, detail: string): FieldCause {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${render(value)}: ${detail}` };
}

export function notSupported(field: string, value: unknown, supported: readonly string[]): FieldCause {
  const list = supported.map((s) => JSON.stringify(s)).join(', ');
  return { reason: 'FieldValueNotSupported', field, message: `Unsupported value: ${render(value)}: supported values: ${list}` };
}

export function duplicate(field: string, value: unknown): FieldCause {
  return { reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${render(value)}` };
}

export function forbidden(field: string, detail: string): FieldCause {
  return { reason: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` };
}
