import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  labelSelectorToString,
  parseLabelSelector,
  selectorFromLabelSelector,
  type LabelMatcher,
  type LabelSelector,
} from '../../src/apiserver/selectors/labels.js';
import { parseFieldSelector, selectableFields } from '../../src/apiserver/selectors/fields.js';
import { ApiError } from '../../src/apiserver/errors.js';

function badRequest(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    assert.equal(err.code, 400);
    assert.equal(err.reason, 'BadRequest');
    assert.match(err.message, pattern);
    return true;
  });
}

/** Which of the label sets the selector picks, by index. */
function picks(selector: LabelMatcher, sets: readonly any[]): number[] {
  return sets.flatMap((labels, i) => (selector(labels) ? [i] : []));
}

const SETS = [
  { app: 'web', tier: 'fe' }, // 0
  { app: 'web', tier: 'be' }, // 1
  { app: 'db' }, // 2
  {}, // 3
  undefined, // 4
];

// --- label selector strings ------------------------------------------------------------------------

test('equality: =, == and != (a missing label satisfies !=)', () => {
  assert.deepEqual(picks(parseLabelSelector('app=web'), SETS), [0, 1]);
  assert.deepEqual(picks(parseLabelSelector('app==web'), SETS), [0, 1]);
  assert.deepEqual(picks(parseLabelSelector('app!=web'), SETS), [2, 3, 4]);
});

test('set-based: in and notin (a missing label satisfies notin)', () => {
  assert.deepEqual(picks(parseLabelSelector('tier in (fe,be)'), SETS), [0, 1]);
  assert.deepEqual(picks(parseLabelSelector('app in (db)'), SETS), [2]);
  assert.deepEqual(picks(parseLabelSelector('tier notin (fe)'), SETS), [1, 2, 3, 4]);
});

test('existence: key and !key', () => {
  assert.deepEqual(picks(parseLabelSelector('tier'), SETS), [0, 1]);
  assert.deepEqual(picks(parseLabelSelector('!tier'), SETS), [2, 3, 4]);
});

test('commas AND requirements together', () => {
  assert.deepEqual(picks(parseLabelSelector('app=web,tier!=fe'), SETS), [1]);
  assert.deepEqual(picks(parseLabelSelector('app,!tier'), SETS), [2]);
  assert.deepEqual(picks(parseLabelSelector('app=web,app=db'), SETS), []);
});

test('whitespace is tolerated around every token', () => {
  const sel = parseLabelSelector('  app = web ,  tier  in ( fe , x ) , ! missing ');
  assert.deepEqual(picks(sel, SETS), [0]);
  assert.deepEqual(picks(parseLabelSelector('tier notin(fe)'), SETS), [1, 2, 3, 4]);
});

test('the empty selector matches everything, even objects without labels', () => {
  assert.deepEqual(picks(parseLabelSelector(''), SETS), [0, 1, 2, 3, 4]);
  assert.deepEqual(picks(parseLabelSelector('   '), SETS), [0, 1, 2, 3, 4]);
});

test('an empty value selects labels set to the empty string', () => {
  const sets = [{ a: '' }, { a: 'x' }, {}];
  assert.deepEqual(picks(parseLabelSelector('a='), sets), [0]);
  assert.deepEqual(picks(parseLabelSelector('a=,a'), sets), [0]);
  assert.deepEqual(picks(parseLabelSelector('a in ()'), sets), [0]);
  assert.deepEqual(picks(parseLabelSelector('a in (x,)'), sets), [0, 1]);
  assert.deepEqual(picks(parseLabelSelector('a!='), sets), [1, 2]);
});

test('keys may carry a DNS prefix; in and notin are ordinary words outside operator position', () => {
  const sets = [{ 'app.kubernetes.io/name': 'in' }, { 'app.kubernetes.io/name': 'notin' }];
  assert.deepEqual(picks(parseLabelSelector('app.kubernetes.io/name=in'), sets), [0]);
  assert.deepEqual(picks(parseLabelSelector('app.kubernetes.io/name in (notin)'), sets), [1]);
  assert.deepEqual(picks(parseLabelSelector('in'), [{ in: 'x' }, {}]), [0]);
});

test('> and < compare integers; non-integer or missing labels never match', () => {
  const sets = [{ n: '5' }, { n: '10' }, { n: 'x' }, {}];
  assert.deepEqual(picks(parseLabelSelector('n>5'), sets), [1]);
  assert.deepEqual(picks(parseLabelSelector('n<10'), sets), [0]);
  badRequest(() => parseLabelSelector('n>x'), /unable to parse requirement: .*must be an integer/);
});

test('syntax errors are 400 with kube-apiserver wording', () => {
  badRequest(() => parseLabelSelector('a in (x'), /^unable to parse requirement: found '', expected: ',' or '\)'$/);
  badRequest(() => parseLabelSelector('a in x'), /^unable to parse requirement: found 'x' expected: '\('$/);
  badRequest(() => parseLabelSelector('a b'), /^unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt$/);
  badRequest(() => parseLabelSelector('a=b c'), /^found 'c', expected: ',' or 'end of string'$/);
  badRequest(() => parseLabelSelector('a=b,'), /^found '', expected: identifier after ','$/);
  badRequest(() => parseLabelSelector('=a'), /^found '=', expected: !, identifier, or 'end of string'$/);
  badRequest(() => parseLabelSelector('!a=b'), /^found '=', expected: ',' or 'end of string'$/);
  badRequest(() => parseLabelSelector('a=(b)'), /^unable to parse requirement: found '\(', expected: identifier$/);
  badRequest(() => parseLabelSelector('!'), /^unable to parse requirement: found '', expected: identifier$/);
});

test('invalid keys and values are 400 naming the offending text', () => {
  badRequest(() => parseLabelSelector('-a=b'), /^unable to parse requirement: key: Invalid value: "-a": name part must consist of/);
  badRequest(() => parseLabelSelector('a/b/c=x'), /Invalid value: "a\/b\/c": a qualified name must consist of/);
  badRequest(() => parseLabelSelector('Example.com/a=x'), /prefix part a lowercase RFC 1123 subdomain/);
  badRequest(() => parseLabelSelector(`${'k'.repeat(64)}=x`), /name part must be no more than 63 characters/);
  badRequest(() => parseLabelSelector('a=b$'), /values\[0\]\[a\]: Invalid value: "b\$": a valid label must be an empty string/);
  badRequest(() => parseLabelSelector(`a=${'v'.repeat(64)}`), /must be no more than 63 characters/);
  badRequest(() => parseLabelSelector('a in (ok,-bad)'), /Invalid value: "-bad"/);
  // the key is checked before the operator, as in Kubernetes
  badRequest(() => parseLabelSelector('-a b'), /^unable to parse requirement: key: Invalid value: "-a"/);
});

// --- metav1.LabelSelector ---------------------------------------------------------------------------

test('an undefined selector selects nothing, an empty one everything', () => {
  assert.deepEqual(picks(selectorFromLabelSelector(undefined), SETS), []);
  assert.deepEqual(picks(selectorFromLabelSelector(null), SETS), []);
  assert.deepEqual(picks(selectorFromLabelSelector({}), SETS), [0, 1, 2, 3, 4]);
  assert.deepEqual(picks(selectorFromLabelSelector({ matchLabels: {}, matchExpressions: [] }), SETS), [0, 1, 2, 3, 4]);
});

test('matchLabels and matchExpressions all have to hold', () => {
  assert.deepEqual(picks(selectorFromLabelSelector({ matchLabels: { app: 'web' } }), SETS), [0, 1]);
  const sel: LabelSelector = {
    matchLabels: { app: 'web' },
    matchExpressions: [{ key: 'tier', operator: 'In', values: ['be', 'x'] }],
  };
  assert.deepEqual(picks(selectorFromLabelSelector(sel), SETS), [1]);
  assert.deepEqual(
    picks(selectorFromLabelSelector({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['fe'] }] }), SETS),
    [1, 2, 3, 4],
  );
  assert.deepEqual(picks(selectorFromLabelSelector({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }), SETS), [0, 1]);
  assert.deepEqual(
    picks(selectorFromLabelSelector({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }), SETS),
    [2, 3, 4],
  );
});

test('invalid LabelSelectors are 400', () => {
  badRequest(
    () => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Gt' as 'In', values: ['1'] }] }),
    /"Gt" is not a valid label selector operator/,
  );
  badRequest(() => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), /values set can't be empty/);
  badRequest(
    () => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }),
    /values set must be empty/,
  );
  badRequest(() => selectorFromLabelSelector({ matchLabels: { 'bad key': 'x' } }), /Invalid value: "bad key"/);
});

test('labelSelectorToString sorts requirements by key and values within sets', () => {
  const sel: LabelSelector = {
    matchLabels: { tier: 'fe', app: 'x' },
    matchExpressions: [
      { key: 'zone', operator: 'NotIn', values: ['b', 'a'] },
      { key: 'env', operator: 'In', values: ['prod'] },
      { key: 'gpu', operator: 'Exists' },
      { key: 'legacy', operator: 'DoesNotExist' },
    ],
  };
  assert.equal(labelSelectorToString(sel), 'app=x,env in (prod),gpu,!legacy,tier=fe,zone notin (a,b)');
  assert.equal(labelSelectorToString({ matchLabels: { app: 'x' } }), 'app=x');
  assert.equal(labelSelectorToString({}), '');
  assert.equal(labelSelectorToString(undefined), '');
});

test('the string form parses back to a selector that picks the same objects', () => {
  const sel: LabelSelector = {
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['fe', 'be'] },
      { key: 'legacy', operator: 'DoesNotExist' },
    ],
  };
  const sets = [...SETS, { app: 'web', tier: 'fe', legacy: 'y' }];
  const reparsed = parseLabelSelector(labelSelectorToString(sel));
  assert.deepEqual(picks(reparsed, sets), picks(selectorFromLabelSelector(sel), sets));
  assert.deepEqual(picks(reparsed, sets), [0, 1]);
});

// --- field selectors -----------------------------------------------------------------------------------

const pods = [
  { metadata: { name: 'a', namespace: 'ns1' }, spec: { nodeName: 'n1', restartPolicy: 'Always' }, status: { phase: 'Running', podIP: '10.0.0.1' } },
  { metadata: { name: 'b', namespace: 'ns2' }, spec: { hostNetwork: true, schedulerName: 'custom' }, status: { phase: 'Pending' } },
  { metadata: { name: 'c', namespace: 'ns1' }, spec: { nodeName: 'n2', serviceAccountName: 'sa' }, status: { phase: 'Running', nominatedNodeName: 'n3' } },
];

function pickObjects(selector: (o: any) => boolean, objects: any[]): string[] {
  return objects.filter(selector).map((o) => o.metadata.name);
}

test('metadata.name and metadata.namespace work for every resource', () => {
  assert.deepEqual(pickObjects(parseFieldSelector('metadata.name=b', 'pods'), pods), ['b']);
  assert.deepEqual(pickObjects(parseFieldSelector('metadata.namespace==ns1', 'pods'), pods), ['a', 'c']);
  assert.deepEqual(pickObjects(parseFieldSelector('metadata.namespace!=ns1', 'replicasets'), pods), ['b']);
  assert.deepEqual(pickObjects(parseFieldSelector('metadata.name=a', 'gameservers'), pods), ['a']);
});

test('pod fields, with a missing spec.nodeName selecting unscheduled pods', () => {
  assert.deepEqual(pickObjects(parseFieldSelector('spec.nodeName=', 'pods'), pods), ['b']);
  assert.deepEqual(pickObjects(parseFieldSelector('spec.nodeName!=', 'pods'), pods), ['a', 'c']);
  assert.deepEqual(pickObjects(parseFieldSelector('status.phase=Running,spec.nodeName=n2', 'pods'), pods), ['c']);
  assert.deepEqual(pickObjects(parseFieldSelector('spec.hostNetwork=false', 'pods'), pods), ['a', 'c']);
  assert.deepEqual(pickObjects(parseFieldSelector('spec.hostNetwork=true', 'pods'), pods), ['b']);
  assert.deepEqual(pickObjects(parseFieldSelector('spec.restartPolicy=Always', 'pods'), pods), ['a']);
  assert.deepEqual(pickObjects(parseFieldSelector('spec.schedulerName=custom', 'pods'), pods), ['b']);
  assert.deepEqual(pickObjects(parseFieldSelector('spec.serviceAccountName=sa', 'pods'), pods), ['c']);
  assert.deepEqual(pickObjects(parseFieldSelector('status.podIP=10.0.0.1', 'pods'), pods), ['a']);
  assert.deepEqual(pickObjects(parseFieldSelector('status.nominatedNodeName=n3', 'pods'), pods), ['c']);
});

test('event fields, with source falling back to reportingComponent', () => {
  const events = [
    {
      metadata: { name: 'e1' },
      involvedObject: { kind: 'Pod', namespace: 'ns', name: 'p', uid: 'u1', apiVersion: 'v1', resourceVersion: '7', fieldPath: 'spec.containers{a}' },
      reason: 'Started',
      source: { component: 'kubelet' },
      type: 'Normal',
    },
    { metadata: { name: 'e2' }, involvedObject: { kind: 'Deployment', name: 'd' }, reason: 'ScalingReplicaSet', reportingComponent: 'deployment-controller', type: 'Normal' },
    { metadata: { name: 'e3' }, involvedObject: { kind: 'Pod', name: 'q' }, reason: 'BackOff', type: 'Warning' },
  ];
  const sel = (s: string) => pickObjects(parseFieldSelector(s, 'events'), events);
  assert.deepEqual(sel('involvedObject.kind=Pod,involvedObject.name=p'), ['e1']);
  assert.deepEqual(sel('involvedObject.namespace=ns,involvedObject.uid=u1,involvedObject.apiVersion=v1'), ['e1']);
  assert.deepEqual(sel('involvedObject.resourceVersion=7,involvedObject.fieldPath=spec.containers{a}'), ['e1']);
  assert.deepEqual(sel('type=Warning'), ['e3']);
  assert.deepEqual(sel('reason!=Started'), ['e2', 'e3']);
  assert.deepEqual(sel('source=kubelet'), ['e1']);
  assert.deepEqual(sel('source=deployment-controller'), ['e2']);
  assert.deepEqual(sel('reportingComponent=deployment-controller'), ['e2']);
});

test('node, namespace, secret, job and replication controller fields', () => {
  const nodes = [{ metadata: { name: 'n1' }, spec: { unschedulable: true } }, { metadata: { name: 'n2' }, spec: {} }];
  assert.deepEqual(pickObjects(parseFieldSelector('spec.unschedulable=false', 'nodes'), nodes), ['n2']);
  const namespaces = [{ metadata: { name: 'a' }, status: { phase: 'Terminating' } }, { metadata: { name: 'b' }, status: { phase: 'Active' } }];
  assert.deepEqual(pickObjects(parseFieldSelector('status.phase=Active', 'namespaces'), namespaces), ['b']);
  const secrets = [{ metadata: { name: 's1' }, type: 'kubernetes.io/tls' }, { metadata: { name: 's2' }, type: 'Opaque' }];
  assert.deepEqual(pickObjects(parseFieldSelector('type=kubernetes.io/tls', 'secrets'), secrets), ['s1']);
  const jobs = [{ metadata: { name: 'j1' }, status: { succeeded: 1 } }, { metadata: { name: 'j2' }, status: {} }];
  assert.deepEqual(pickObjects(parseFieldSelector('status.successful=0', 'jobs'), jobs), ['j2']);
  const rcs = [{ metadata: { name: 'r1' }, status: { replicas: 3 } }];
  assert.deepEqual(pickObjects(parseFieldSelector('status.replicas=3', 'replicationcontrollers'), rcs), ['r1']);
});

test('a field the resource does not support is 400 "field label not supported"', () => {
  badRequest(() => parseFieldSelector('spec.replicas=3', 'replicasets'), /^field label not supported: spec.replicas$/);
  badRequest(() => parseFieldSelector('status.phase=Running', 'gameservers'), /^field label not supported: status.phase$/);
  badRequest(() => parseFieldSelector('spec.nodeName=x', 'nodes'), /^field label not supported: spec.nodeName$/);
  badRequest(() => parseFieldSelector('metadata.labels=x', 'pods'), /^field label not supported: metadata.labels$/);
  badRequest(() => parseFieldSelector('toString=x', 'pods'), /^field label not supported: toString$/);
  assert.deepEqual(selectableFields('gameservers'), ['metadata.name', 'metadata.namespace']);
});

test('malformed field selectors are 400', () => {
  badRequest(() => parseFieldSelector('metadata.name', 'pods'), /^invalid selector: 'metadata.name'; can't understand 'metadata.name'$/);
  badRequest(() => parseFieldSelector('metadata.name=a=b', 'pods'), /unescaped character in value: =/);
  badRequest(() => parseFieldSelector('metadata.name=a\\x', 'pods'), /invalid escape sequence: \\x/);
});

test('the empty field selector matches everything; empty terms are skipped', () => {
  assert.deepEqual(pickObjects(parseFieldSelector('', 'pods'), pods), ['a', 'b', 'c']);
  assert.deepEqual(pickObjects(parseFieldSelector('metadata.name=a,', 'pods'), pods), ['a']);
});

test('escaped commas and equals signs are part of the value', () => {
  const objs = [{ metadata: { name: 'x' }, reason: 'a,b=c' }, { metadata: { name: 'y' }, reason: 'a' }];
  assert.deepEqual(pickObjects(parseFieldSelector('reason=a\\,b\\=c', 'events'), objs), ['x']);
  assert.deepEqual(pickObjects(parseFieldSelector('reason=a,metadata.name=y', 'events'), objs), ['y']);
});

test('a space after a comma is forgiven in the field name', () => {
  assert.deepEqual(pickObjects(parseFieldSelector('status.phase=Running, metadata.namespace=ns1', 'pods'), pods), ['a', 'c']);
});
