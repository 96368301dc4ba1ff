// JSON patch (RFC 6902), the `application/json-patch+json` content type, applied with fast-json-patch.
//
// kube-apiserver answers a body that does not decode as a list of operations with 400 BadRequest,
// and an operation that cannot be applied (unknown op, missing path, failed test) with
// 422 Invalid, so clients can tell "you sent garbage" from "your patch does not fit this object".

import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { ApiError, badRequest } from '../errors.js';
import { deepClone, goJsonType, isObject } from './values.js';

const RFC6902_OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** Applies the operations in order and returns the patched document; neither input is modified. */
export function applyJsonPatch(original: unknown, ops: unknown): unknown {
  const operations = decodeOperations(ops);
  operations.forEach(checkOperationKind);
  // fast-json-patch writes into the document and links patch values into it by reference,
  // so both are copied to keep the caller's objects untouched and unshared.
  const document = deepClone(original);
  try {
    return jsonpatch.applyPatch(document, deepClone(operations), true, true).newDocument;
  } catch (err) {
    throw operationFailed(err, operations);
  }
}

function decodeOperations(ops: unknown): Operation[] {
  if (!Array.isArray(ops)) {
    throw badRequest(
      `json: cannot unmarshal ${goJsonType(ops)} into Go value of type jsonpatch.Patch ` +
        '(a JSON patch must be a JSON array of operations)',
    );
  }
  ops.forEach((op, index) => {
    if (!isObject(op)) {
      throw badRequest(
        `json: cannot unmarshal ${goJsonType(op)} into Go value of type Operation ` +
          `(operation ${index} of the JSON patch must be a JSON object)`,
      );
    }
  });
  return ops as Operation[];
}

/** fast-json-patch also accepts its private `_get` op; Kubernetes only knows the six of RFC 6902. */
function checkOperationKind(op: Operation, index: number): void {
  const kind: unknown = op.op;
  if (typeof kind !== 'string' || !RFC6902_OPS.has(kind)) {
    throw rejected(index, op, `unknown operation ${JSON.stringify(kind ?? null)}`);
  }
}

function operationFailed(err: unknown, operations: Operation[]): ApiError {
  if (err instanceof jsonpatch.JsonPatchError) {
    const index = typeof err.index === 'number' ? err.index : 0;
    return rejected(index, operations[index], describe(err));
  }
  // fast-json-patch throws a TypeError for paths through __proto__ or constructor/prototype.
  const message = err instanceof Error ? err.message : String(err);
  return rejected(undefined, undefined, message);
}

function describe(err: InstanceType<typeof jsonpatch.JsonPatchError>): string {
  switch (err.name) {
    case 'OPERATION_PATH_INVALID':
      return 'the "path" member must be a string starting with "/"';
    case 'OPERATION_FROM_REQUIRED':
      return 'the "from" member is required';
    case 'OPERATION_VALUE_REQUIRED':
      return 'the "value" member is required';
    case 'OPERATION_PATH_UNRESOLVABLE':
      return 'the path does not exist in the object';
    case 'OPERATION_FROM_UNRESOLVABLE':
      return 'the "from" path does not exist in the object';
    case 'OPERATION_PATH_CANNOT_ADD':
      return 'the parent of the path does not exist in the object';
    case 'OPERATION_PATH_ILLEGAL_ARRAY_INDEX':
      return 'the path has an invalid array index';
    case 'OPERATION_VALUE_OUT_OF_BOUNDS':
      return 'the array index is out of bounds';
    case 'TEST_OPERATION_FAILED':
      return 'the value at the path does not equal the test value';
    default:
      return err.message.split('\n')[0];
  }
}

/** kubectl prints a 422's causes rather than its message, so the cause carries the whole story. */
function rejected(index: number | undefined, op: Operation | undefined, why: string): ApiError {
  const where =
    op === undefined
      ? ''
      : ` ${index} (${JSON.stringify((op as { op?: unknown }).op ?? null)} at ${JSON.stringify(op.path ?? null)})`;
  const detail = `json patch operation${where} failed: ${why}`;
  return new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${detail}`, {
    causes: [{ reason: 'UnexpectedServerResponse', message: detail }],
  });
}
