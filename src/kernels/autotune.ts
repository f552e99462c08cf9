// Which implementation runs an op at a given shape, ours or tfjs's, decided by timing both on the GPU in use
// (cuDNN's benchmark mode, for the ops where neither side wins everywhere). The H100 runs showed why it is
// needed: our input gradient beat tfjs's on some shapes (1.9x) and lost on others (0.88x), and our forward
// convolution (register-tiled, no workgroup memory) and tfjs's (workgroup-tiled) may split the same way by
// GPU and shape, which no CPU machine can tell (README, Performance).
//
// How it runs without a readback inside a sampler loop or a training step:
// - An op asks `pick()`. A shape tuned before gets its choice; an unknown one runs ours (the default) and is
//   queued with a recipe for its inputs and both implementations.
// - At the next natural pause (after a Trainer's first step, after a sampled batch's readback, the bench's
//   warm-up) `tunePendingKernels()` times both implementations of each queued shape on random inputs of that
//   shape: each called 16 times in one recording (src/tensor/replay.ts) and replayed, so that tfjs's per-op
//   JavaScript (0.4–0.6 ms per kernel in the second H100 run, more than a small kernel's GPU time) is not what gets
//   timed; wall clock, ours, stock, stock, ours, the faster of each side's two. Stock wins a shape only when
//   it is clearly faster (STOCK_MARGIN): a tie keeps ours. Wall clock includes a readback per measurement and
//   the replay's input copies, the same for both sides: it pulls small ops' ratios toward 1, that is toward
//   keeping ours, never toward a wrong switch.
// - A choice of stock changes `choiceVersion()`, which is part of `kernelVariant()`: recordings made with
//   the old choices are not replayed again.
// - Per-op choices are made alone, on random inputs; inside a whole pass the same kernels meet other caches
//   and neighbours. On an H200 the choices that each won alone made the UNet's replayed forward pass 1.25x
//   faster at batch 1 and 0.81x as fast at batch 64 (README, On a GPU). So a recorded pass can also be checked
//   whole (`registerPassCheck`, `timePass`): the pass recorded with the tuned choices against the pass recorded
//   with ours at every op (`withOursOnly`), and ours alone kept where it is clearly faster (`decidePass`).
// Not tuned: the conv filter gradient (tfjs's is 17-66x slower on the H100, timing it would only cost
// time), GroupNorm + SiLU, the DDIM step and the optimizer (tfjs has no single kernel for them: ours replace
// chains of 8-20 dispatches).
import * as tf from '@tensorflow/tfjs';
import { backendInfo } from '../tensor/backend';
import { Replay } from '../tensor/replay';

export type Impl = 'ours' | 'stock';

/**
 * 'auto' tunes on a GPU and not on SwiftShader, where it costs far more than it gains (the quick bench with
 * tuning on: 108 shapes timed in 100-107 s, ours kept at 107-108; README, Performance); 'on' tunes on any
 * WebGPU adapter (how the tests exercise it on SwiftShader); 'off' always runs ours.
 */
export type TuningMode = 'auto' | 'on' | 'off';
export const TUNING_MODES: readonly TuningMode[] = ['auto', 'on', 'off'];

/** Stock replaces ours only when it takes at most this fraction of our time (timing noise is a few %). */
export const STOCK_MARGIN = 0.9;

/** Calls of the op inside one recording, and the wall-clock time one measurement aims for. */
const CALLS_PER_RECORDING = 16;
const TARGET_MS = 20;
const MAX_RUNS = 250;

export interface KernelChoice {
  op: string;
  /** The op and its input shapes and attributes, e.g. `conv2d [64,28,28,32] [3,3,32,32] [32]; stride 1, same`. */
  signature: string;
  impl: Impl;
  /** One call, wall clock, from runs of the op alone on random inputs of these shapes. */
  ours_ms: number;
  stock_ms: number;
  /** Both timed as replays of a recording, or both eager where either could not be recorded. */
  timing?: 'replay' | 'eager';
  /** Why the shape could not be timed (then ours runs). */
  error?: string;
}

interface Pending {
  op: string;
  signature: string;
  shapes: number[][];
  ours: (inputs: tf.Tensor[]) => tf.Tensor;
  stock: (inputs: tf.Tensor[]) => tf.Tensor;
}

/** A whole recorded pass, timed with the tuned choices and with ours at every op (see the header). */
export interface PassChoice {
  /** What was timed and at which input shape, e.g. `forward [64,28,28,1]`. */
  pass: string;
  impl: 'tuned' | 'ours';
  /** One pass, wall clock, replayed. */
  tuned_ms: number;
  ours_ms: number;
  /** Why it could not be timed (then the tuned choices stay). */
  error?: string;
}
export type PassCheck = () => Promise<PassChoice[]>;

let mode: TuningMode = 'auto';
const chosen = new Map<string, KernelChoice>();
const pending = new Map<string, Pending>();
let version = 0;
/** Like version, but only for choices made or forced, not for tuning switched off and on again. */
let epoch = 0;
let spentMs = 0;
let oursOnlyDepth = 0;
const passChecks = new Set<PassCheck>();
const passesMade: PassChoice[] = [];

export function setKernelTuning(m: TuningMode): void {
  // Switching tuning off (or on again) changes which kernel runs wherever stock was chosen.
  if (m !== mode && stockChosen()) version++;
  mode = m;
}

/** Runs `f` with tuning set to `m`, then restores the mode it had, also when `f` throws. */
export async function withKernelTuning<T>(m: TuningMode, f: () => Promise<T>): Promise<T> {
  const was = mode;
  setKernelTuning(m);
  try {
    return await f();
  } finally {
    setKernelTuning(was);
  }
}

export function kernelTuning(): TuningMode {
  return mode;
}

/** Whether pick() tunes here: the mode, the backend, and for 'auto' the adapter. */
export function tuningActive(): boolean {
  if (mode === 'off' || tf.getBackend() !== 'webgpu') return false;
  if (mode === 'on') return true;
  const adapter = backendInfo()?.adapter;
  return !!adapter && !isSoftwareAdapter(adapter);
}

/** SwiftShader (Chromium's and Dawn's CPU implementation of WebGPU) and other CPU adapters. */
export function isSoftwareAdapter(adapter: { vendor: string; architecture: string; description: string }): boolean {
  return /swiftshader|llvmpipe|lavapipe|software|warp/i.test(`${adapter.vendor} ${adapter.architecture} ${adapter.description}`);
}

/** Changes whenever a tuned choice makes an op run other kernels than before (recordings key on it). */
export function choiceVersion(): number {
  return version;
}

/** Changes whenever a per-shape choice changes (a pass checked at one epoch is checked again at the next). */
export function choiceEpoch(): number {
  return epoch;
}

/**
 * Runs `f` with ours at every op, whatever was chosen (synchronously: for recording a pass both ways). Recordings
 * made inside must key on `oursOnly()` too (kernelVariant() does not).
 */
export function withOursOnly<T>(f: () => T): T {
  oursOnlyDepth++;
  try {
    return f();
  } finally {
    oursOnlyDepth--;
  }
}

export function oursOnly(): boolean {
  return oursOnlyDepth > 0;
}

/** Whether tfjs's kernel was chosen at any shape (then ours alone would run other kernels). */
export function stockChosen(): boolean {
  return [...chosen.values()].some((c) => c.impl === 'stock');
}

/** The choices made so far in this process, in the order they were made. */
export function kernelChoices(): KernelChoice[] {
  return [...chosen.values()];
}

/** ms spent timing kernels in this process (left out of throughput figures that a tuning pause falls in). */
export function tuningTimeMs(): number {
  return spentMs;
}

/** Shapes seen but not yet timed. */
export function pendingKernelTuning(): number {
  return pending.size;
}

/** Their signatures, in the order they were first seen. */
export function pendingSignatures(): string[] {
  return [...pending.keys()];
}

/** Sets one choice by hand (a test, or a user overriding a measurement); replaces a tuned one. */
export function forceKernelChoice(signature: string, impl: Impl): void {
  const was = chosen.get(signature);
  const op = signature.split(' ')[0];
  if ((was?.impl ?? 'ours') !== impl) {
    version++;
    epoch++;
  }
  chosen.set(signature, { op, signature, impl, ours_ms: was?.ours_ms ?? Number.NaN, stock_ms: was?.stock_ms ?? Number.NaN });
  pending.delete(signature);
}

/** Forgets every choice and queued shape (tests; a new adapter). */
export function resetKernelChoices(): void {
  if (stockChosen()) {
    version++;
    epoch++;
  }
  chosen.clear();
  pending.clear();
  passesMade.length = 0;
}

export function signatureOf(op: string, inputs: readonly { shape: readonly number[] }[], attrs: string): string {
  return `${op} ${inputs.map((x) => `[${x.shape.join(',')}]`).join(' ')}${attrs ? `; ${attrs}` : ''}`;
}

/**
 * Runs `ours` or `stock` on `inputs`, whichever was measured faster at this signature; ours while it is
 * untimed (and queues it) or while tuning is off. Both must compute the same op.
 */
export function pick<T extends tf.Tensor>(op: string, attrs: string, inputs: tf.Tensor[], ours: (inputs: tf.Tensor[]) => T, stock: (inputs: tf.Tensor[]) => T): T {
  if (!tuningActive() || oursOnlyDepth > 0) return ours(inputs);
  const signature = signatureOf(op, inputs, attrs);
  const known = chosen.get(signature);
  if (known) return known.impl === 'ours' ? ours(inputs) : stock(inputs);
  if (!pending.has(signature)) pending.set(signature, { op, signature, shapes: inputs.map((x) => [...x.shape]), ours, stock });
  return ours(inputs);
}

/** Stock only when clearly faster; NaN (a failed timing) keeps ours. */
export function decide(oursMs: number, stockMs: number): Impl {
  return stockMs < STOCK_MARGIN * oursMs ? 'stock' : 'ours';
}

/** A whole pass: ours at every op only when clearly faster than the tuned choices; NaN keeps them. */
export function decidePass(tunedMs: number, oursMs: number): PassChoice['impl'] {
  return oursMs < STOCK_MARGIN * tunedMs ? 'ours' : 'tuned';
}

/**
 * Adds a check that times recorded passes whole (a replayed forward pass per batch shape): run by
 * tunePendingKernels() while tfjs's kernel is chosen somewhere, after the shapes queued are tuned. It returns
 * the choices it made. Returns an unregister.
 */
export function registerPassCheck(check: PassCheck): () => void {
  passChecks.add(check);
  return () => passChecks.delete(check);
}

/** The pass checks made so far in this process. */
export function passChoices(): PassChoice[] {
  return [...passesMade];
}

/**
 * Times both implementations of every queued shape and keeps the faster; then the registered pass checks, or
 * only `passes` where it lists some (a caller's own), or none where it is false (a Trainer's pause: no sampler
 * of its own, and other jobs' samplers are not timed beside its training). Returns the per-op choices made. Call it
 * where a readback is allowed (it reads back its own timing runs), outside tf.tidy and gradient tapes. A call
 * while another is timing waits for it, then does what is left (a check registered meanwhile, say).
 */
export async function tunePendingKernels(opts: { passes?: false | PassCheck[] } = {}): Promise<KernelChoice[]> {
  while (running) await running.catch(() => undefined);
  const checks = opts.passes === false ? [] : (opts.passes ?? [...passChecks]);
  if (!tuningActive() || (pending.size === 0 && (checks.length === 0 || !stockChosen()))) return [];
  const started = performance.now();
  let passes: PassChoice[] = [];
  running = tuneAll().then(async (made) => {
    if (!stockChosen()) return made;
    for (const check of checks) {
      // A sampler disposed while an earlier check ran is not timed.
      if (passChecks.has(check)) passes = passes.concat(await check());
    }
    return made;
  });
  let made: KernelChoice[];
  try {
    made = await running;
  } finally {
    running = null;
    spentMs += performance.now() - started;
  }
  passesMade.push(...passes);
  const ms = performance.now() - started;
  if (made.length || passes.length) for (const cb of listeners) cb(made, ms, passes);
  return made;
}

let running: Promise<KernelChoice[]> | null = null;

type TunedListener = (choices: KernelChoice[], ms: number, passes: PassChoice[]) => void;
const listeners = new Set<TunedListener>();

/** Calls `cb` after each tuning pass that made choices (the CLI says what it chose). Returns an unsubscribe. */
export function onKernelsTuned(cb: TunedListener): () => void {
  listeners.add(cb);
  return () => listeners.delete(cb);
}

async function tuneAll(): Promise<KernelChoice[]> {
  const made: KernelChoice[] = [];
  for (const p of [...pending.values()]) {
    const inputs = p.shapes.map((s, i) => tf.randomNormal(s, 0, 1, 'float32', i + 1));
    try {
      let choice: KernelChoice;
      try {
        const { ms: [oursMs, stockMs], timing } = await timeTwo(p.ours, p.stock, inputs, CALLS_PER_RECORDING);
        choice = { op: p.op, signature: p.signature, impl: decide(round(oursMs), round(stockMs)), ours_ms: round(oursMs), stock_ms: round(stockMs), timing };
      } catch (e) {
        // A kernel that fails here (tfjs refusing a shape, say) is not chosen: ours ran at this shape already.
        // (A lost device fails here too, and again at the caller's next op, where onDeviceLost handles it.)
        choice = { op: p.op, signature: p.signature, impl: 'ours', ours_ms: Number.NaN, stock_ms: Number.NaN, error: e instanceof Error ? e.message : String(e) };
      }
      chosen.set(p.signature, choice);
      made.push(choice);
      if (choice.impl !== 'ours') {
        version++;
        epoch++;
      }
    } finally {
      pending.delete(p.signature);
      tf.dispose(inputs);
    }
  }
  return made;
}

const round = (ms: number): number => Math.round(ms * 10000) / 10000;

/**
 * ms per call of `a` and of `b` on the same inputs (ours and stock at one shape; a whole pass tuned and ours
 * only), `calls` calls per recording, both replayed (or, when either cannot be recorded, both eager, so that
 * neither alone pays tfjs's per-op JavaScript): a warm-up, then a, b, b, a (so that a GPU clocking up during
 * the first pair does not count against one side), the faster of each side's two.
 */
async function timeTwo(a: (inputs: tf.Tensor[]) => tf.Tensor, b: (inputs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], calls: number): Promise<{ ms: [number, number]; timing: 'replay' | 'eager' }> {
  const runners: Runner[] = []; // pushed one by one: a failing second one must not leak the first
  try {
    runners.push(await runner(a, inputs, true, calls));
    runners.push(await runner(b, inputs, true, calls));
    if (runners.some((r) => !r.replayed)) {
      for (const r of runners.splice(0)) r.dispose();
      runners.push(await runner(a, inputs, false, calls));
      runners.push(await runner(b, inputs, false, calls));
    }
    return { ms: await timePair(runners[0], runners[1], calls), timing: runners[0].replayed ? 'replay' : 'eager' };
  } finally {
    for (const r of runners) r.dispose();
  }
}

/** a, b, b, a: the faster of each side's two; the second runs sized from the first (which include a readback). */
async function timePair(a: Runner, b: Runner, calls: number): Promise<[number, number]> {
  const first = [await a.time(1), await b.time(1)];
  // The first measurements include a readback's latency: enough runs for the second to be mostly GPU work.
  const runs = first.map((ms) => Math.max(1, Math.min(MAX_RUNS, Math.round(TARGET_MS / Math.max(ms * calls, 1e-3)))));
  const bAgain = await b.time(runs[1]);
  const aAgain = await a.time(runs[0]);
  return [Math.min(first[0], aAgain), Math.min(first[1], bAgain)];
}

/**
 * ms per call of a whole pass `fn` (a forward pass, say) with the tuned choices and with ours at every op, each
 * recorded once and replayed (one call per recording: a pass is large). Where either cannot be recorded, both
 * run eagerly. Call it where a readback is allowed.
 */
export async function timePass(fn: (inputs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]): Promise<{ tuned_ms: number; ours_ms: number }> {
  const { ms: [tuned, ours] } = await timeTwo(fn, (xs) => withOursOnly(() => fn(xs)), inputs, 1);
  return { tuned_ms: round(tuned), ours_ms: round(ours) };
}

interface Runner {
  /** Whether the calls are replays of a recording (else eager tfjs calls). */
  replayed: boolean;
  /** Wall-clock ms per call over `runs` runs of its calls per recording, the last run read back. */
  time(runs: number): Promise<number>;
  dispose(): void;
}

/** `op` called `calls` times in a row (each call writes where the last one's output was freed). */
function repeated(op: (inputs: tf.Tensor[]) => tf.Tensor, calls: number): (inputs: tf.Tensor[]) => tf.Tensor {
  return (xs) => {
    let out = op(xs);
    for (let i = 1; i < calls; i++) {
      out.dispose();
      out = op(xs);
    }
    return out;
  };
}

/** `op` recorded and replayed where `record` and the replay can, eagerly otherwise. Warmed up: pipelines compiled. */
async function runner(op: (inputs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], record: boolean, calls: number): Promise<Runner> {
  const fn = repeated(op, calls);
  let replay: Replay | null = null;
  if (record) {
    const rec = Replay.record(fn, inputs);
    if ('replay' in rec) replay = rec.replay;
    if (rec.output) tf.dispose(rec.output);
  }
  const call = (): tf.Tensor => replay?.run(inputs) ?? tf.tidy(() => fn(inputs));
  try {
    const once = call();
    try {
      await once.data();
    } finally {
      once.dispose();
    }
  } catch (e) {
    replay?.dispose();
    throw e;
  }
  return {
    replayed: replay !== null,
    async time(runs: number) {
      const t0 = performance.now();
      for (let i = 0; i < runs; i++) {
        const out = call();
        if (i === runs - 1) await out.data();
        out.dispose();
      }
      return (performance.now() - t0) / (runs * calls);
    },
    dispose: () => replay?.dispose(),
  };
}
