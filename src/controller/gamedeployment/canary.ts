// Canary steps (BCS's spec.updateStrategy.canary.steps), as a pure state machine over the
// GameDeployment's status: which step a rollout is at, the partition it implies, and when it
// moves on.
//
// - A new update revision starts the steps over at index 0 (SetStepIndex); the first revision a
//   GameDeployment ever has (its creation) has nothing to roll out: its steps count as done.
// - `partition: n` holds n pods on the old revision and completes once
//   updatedReadyReplicas ≥ replicas − n.
// - `pause: {duration: s}` records PausedByCanaryPauseStep and resumes by itself after s seconds.
// - `pause: {}` records the same condition, sets spec.updateStrategy.paused: true, and moves on
//   when the user sets it false again.
// - `hook: {templateName}` runs a HookRun made from that template (`canary-<revision>-<index>-
//   <template>`, status.canary.currentStepHookRun): Successful moves to the next step; Failed,
//   Error or Inconclusive records PausedByStepBasedHook and sets paused: true, and the user goes
//   on (skipping the step) with paused: false, as BCS.
// - Until the first partition step the rollout updates nothing; after the last step the spec's
//   own partition applies.
// - Edited steps (a new currentStepHash) start over at 0 unless the rollout had already reached
//   every pod.

import { createHash } from 'node:crypto';
import { scaledValue } from '../../api/intstr.js';
import { PAUSED_BY_CANARY_STEP, PAUSED_BY_HOOK_STEP } from './names.js';
import { rfc3339 } from '../../util/time.js';

type Json = Record<string, any>;

export interface CanaryStepSpec {
  partition?: number | string;
  pause?: { duration?: number };
  hook?: Json;
}

interface PauseCondition {
  reason: string;
  startTime: string;
}

export interface CanaryState {
  currentStepIndex?: number;
  currentStepHash?: string;
  pauseConditions?: PauseCondition[];
  canary?: { revision?: string; pauseStartTime?: string; currentStepHookRun?: string };
}

export interface CanaryInput {
  steps: readonly CanaryStepSpec[] | undefined;
  /** What the status says now (step fields and status.updateRevision). */
  status: CanaryState & { updateRevision?: string };
  updateRevision: string;
  replicas: number;
  /** spec.updateStrategy.partition */
  specPartition: number | string | undefined;
  /** spec.updateStrategy.paused */
  paused: boolean;
  updatedReplicas: number;
  updatedReadyReplicas: number;
  now: number;
  /** The update revision's canary-step runs, by step index: name and phase. */
  stepRuns?: ReadonlyMap<number, { name: string; phase: string }>;
}

interface CanaryEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface CanaryDecision {
  /** The partition to roll out with now (absolute). */
  partition: number;
  /** Status fields to write (absent ones are removed). */
  state: CanaryState;
  /** Set spec.updateStrategy.paused: true (an untimed pause or a hook step was reached). */
  pause: boolean;
  events: CanaryEvent[];
  /** Look again after this long (a timed pause runs out). */
  requeueAfterMs?: number;
  /** A hook step was reached and has no run yet: start it (named runName). */
  startHook?: { index: number; step: CanaryStepSpec; runName: string };
}

/** BCS's name of a canary step's run. */
export function canaryRunName(revision: string, index: number, templateName: string): string {
  return ['canary', revision, String(index), templateName].join('-');
}

/** A short stable hash of the steps (32 bits, in Kubernetes' safe-encoded alphabet). */
export function stepsHash(steps: readonly CanaryStepSpec[]): string {
  const digest = createHash('sha256').update(JSON.stringify(steps)).digest();
  return safeEncode(digest.readUInt32BE(0));
}

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function safeEncode(n: number): string {
  let s = '';
  let v = n >>> 0;
  do {
    s = SAFE_ALPHABET[v % SAFE_ALPHABET.length] + s;
    v = Math.floor(v / SAFE_ALPHABET.length);
  } while (v > 0);
  return s;
}

export function absolutePartition(value: number | string | undefined, replicas: number): number {
  if (value === undefined || value === null) return 0;
  return Math.min(Math.max(0, scaledValue(value, replicas, true)), Math.max(0, replicas));
}

function stepKind(step: CanaryStepSpec): 'partition' | 'pause' | 'hook' {
  if (step.partition !== undefined && step.partition !== null) return 'partition';
  if (step.pause) return 'pause';
  return 'hook';
}

function describeStep(step: CanaryStepSpec | undefined): string {
  if (!step) return 'all steps done';
  switch (stepKind(step)) {
    case 'partition':
      return `partition ${step.partition}`;
    case 'pause':
      return step.pause?.duration !== undefined ? `pause ${step.pause.duration}s` : 'pause until spec.updateStrategy.paused is false';
    case 'hook':
      return `hook ${step.hook?.templateName ?? ''}`.trim();
  }
}

export function planCanary(input: CanaryInput): CanaryDecision {
  const steps = input.steps ?? [];
  const specPartition = absolutePartition(input.specPartition, input.replicas);
  if (steps.length === 0) return { partition: specPartition, state: {}, pause: false, events: [] };

  const hash = stepsHash(steps);
  const events: CanaryEvent[] = [];
  const prev = input.status;
  let state: CanaryState = {
    currentStepIndex: prev.currentStepIndex,
    currentStepHash: prev.currentStepHash,
    pauseConditions: [...(prev.pauseConditions ?? [])],
    canary: { ...(prev.canary ?? {}) },
  };
  const setIndex = (i: number, why: string) => {
    if (state.currentStepIndex !== i) {
      events.push({ type: 'Normal', reason: 'SetStepIndex', message: `set currentStepIndex to ${i} (${why}): ${describeStep(steps[i])}` });
    }
    state.currentStepIndex = i;
  };

  const allUpdated = input.updatedReplicas >= input.replicas;
  if (!prev.updateRevision) {
    // The first revision: nothing to roll out.
    state = { currentStepHash: hash, currentStepIndex: steps.length, pauseConditions: [], canary: {} };
  } else if (prev.updateRevision !== input.updateRevision) {
    state = { currentStepHash: hash, pauseConditions: [], canary: { revision: prev.updateRevision } };
    setIndex(0, `new revision ${input.updateRevision}`);
  } else if (prev.currentStepHash !== hash || prev.currentStepIndex === undefined) {
    state.currentStepHash = hash;
    state.pauseConditions = [];
    delete state.canary!.pauseStartTime;
    setIndex(allUpdated ? steps.length : 0, 'canary steps changed');
  }

  let index = Math.min(Math.max(0, state.currentStepIndex ?? 0), steps.length);
  let requeueAfterMs: number | undefined;
  let pause = false;
  let startHook: CanaryDecision['startHook'];
  const conditions = state.pauseConditions ?? [];
  const pausedBy = (reason: string) => conditions.find((c) => c.reason === reason);

  while (index < steps.length) {
    const step = steps[index]!;
    const kind = stepKind(step);
    if (kind === 'partition') {
      if (input.paused) break;
      const want = input.replicas - absolutePartition(step.partition, input.replicas);
      if (input.updatedReadyReplicas < want) break;
      index++;
      setIndex(index, `step ${index - 1} done: ${input.updatedReadyReplicas} updated and ready`);
      continue;
    }
    if (kind === 'pause' && step.pause?.duration !== undefined) {
      const held = pausedBy(PAUSED_BY_CANARY_STEP);
      if (!held) {
        if (input.paused) break;
        const start = rfc3339(input.now);
        conditions.push({ reason: PAUSED_BY_CANARY_STEP, startTime: start });
        state.canary!.pauseStartTime = start;
        requeueAfterMs = step.pause.duration * 1000;
        break;
      }
      const left = Date.parse(held.startTime) + step.pause.duration * 1000 - input.now;
      if (Number.isFinite(left) && left > 0) {
        requeueAfterMs = left;
        break;
      }
      conditions.splice(conditions.indexOf(held), 1);
      delete state.canary!.pauseStartTime;
      index++;
      setIndex(index, `paused ${step.pause.duration}s`);
      continue;
    }
    const reason = kind === 'pause' ? PAUSED_BY_CANARY_STEP : PAUSED_BY_HOOK_STEP;
    const held = pausedBy(reason);
    if (!held && kind === 'hook') {
      // The step's run: start it, wait for it, go on when it passes, pause when it does not.
      if (input.paused) break;
      const template = String(step.hook?.templateName ?? '');
      const runName = canaryRunName(input.updateRevision, index, template);
      const run = input.stepRuns?.get(index);
      state.canary!.currentStepHookRun = run?.name ?? runName;
      if (!run) {
        startHook = { index, step, runName };
        break;
      }
      if (run.phase === 'Successful') {
        delete state.canary!.currentStepHookRun;
        index++;
        setIndex(index, `hook ${run.name} Successful`);
        continue;
      }
      if (run.phase === 'Failed' || run.phase === 'Error' || run.phase === 'Inconclusive') {
        const start = rfc3339(input.now);
        conditions.push({ reason, startTime: start });
        state.canary!.pauseStartTime = start;
        pause = true;
        events.push({ type: 'Warning', reason: 'SetPaused', message: `canary step ${index}: HookRun ${run.name} is ${run.phase}, so the rollout pauses here: set spec.updateStrategy.paused to false to go on` });
      }
      break;
    }
    // An untimed pause: wait for the user.
    if (!held) {
      const start = rfc3339(input.now);
      conditions.push({ reason, startTime: start });
      state.canary!.pauseStartTime = start;
      pause = !input.paused;
      events.push({ type: 'Normal', reason: 'SetPaused', message: `canary step ${index} pauses the rollout until spec.updateStrategy.paused is set to false` });
      break;
    }
    if (input.paused) break;
    conditions.splice(conditions.indexOf(held), 1);
    delete state.canary!.pauseStartTime;
    index++;
    setIndex(index, 'resumed by the user');
  }

  state.pauseConditions = conditions;
  state.currentStepIndex = index;
  if (index >= steps.length || stepKind(steps[index]!) !== 'hook') delete state.canary!.currentStepHookRun;
  return { partition: stepPartition(steps, index, input.replicas, specPartition), state, pause, events, requeueAfterMs, startHook };
}

/** The partition in force at step `index`: the last partition step reached, or the spec's after the last step. */
export function stepPartition(steps: readonly CanaryStepSpec[], index: number, replicas: number, specPartition: number): number {
  if (index >= steps.length) return specPartition;
  for (let i = index; i >= 0; i--) {
    const s = steps[i]!;
    if (stepKind(s) === 'partition') return absolutePartition(s.partition, replicas);
  }
  return replicas;
}
