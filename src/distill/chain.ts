// The chain of halvings N → N/2 → … → M: each round's student becomes the next round's teacher.
import type { Network } from '../model/network';
import type { TrainReport, TrainResult } from '../train/trainer';
import { type RoundOptions, distillRound } from './round';

export interface ChainOptions extends Omit<RoundOptions, 'studentSteps' | 'onReport' | 'iterations'> {
  /** Iterations per round: one number for every round, or a list by round (its last entry repeats). */
  iterations: number | number[];
  /** The teacher's step count N (a power of two). */
  fromSteps: number;
  /** The last student's step count M (a power of two, M < N). */
  toSteps: number;
  onReport?: (round: RoundInfo, r: TrainReport) => void;
  /** Called after each finished round, before the next starts (write the student, measure it, …). */
  onRound?: (round: FinishedRound) => void | Promise<void>;
}

export interface RoundInfo {
  /** 1 for the first halving. */
  stage: number;
  teacherSteps: number;
  studentSteps: number;
}

export interface FinishedRound extends RoundInfo {
  student: Network;
  result: TrainResult;
}

export interface ChainResult {
  /** Every finished student, in order; the caller owns them. */
  rounds: FinishedRound[];
  stopped: 'done' | 'cancelled' | 'nonfinite';
  /** For 'nonfinite': the round (1-based in this chain), its student's step count and the step at which training stopped. */
  failure?: { stage: number; studentSteps: number; step: number };
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

export function roundIterations(iterations: number | number[], round: number): number {
  return typeof iterations === 'number' ? iterations : iterations[Math.min(round, iterations.length - 1)];
}

/** The student step counts of a chain: from 64 to 4 gives [32, 16, 8, 4]. */
export function chainStages(fromSteps: number, toSteps: number): number[] {
  if (!isPowerOfTwo(fromSteps) || !isPowerOfTwo(toSteps)) throw new RangeError(`step counts must be powers of two, got ${fromSteps} → ${toSteps}`);
  if (toSteps >= fromSteps) throw new RangeError(`the target step count (${toSteps}) must be below the teacher's (${fromSteps})`);
  const out: number[] = [];
  for (let n = fromSteps / 2; n >= toSteps; n /= 2) out.push(n);
  return out;
}

/**
 * Runs the rounds in order. Cancelling (opts.signal) or a non-finite loss ends the chain and discards the
 * round in progress: every returned student finished its round, and the last one is the chain's result.
 */
export async function distillChain(teacher: Network, opts: ChainOptions): Promise<ChainResult> {
  const rounds: FinishedRound[] = [];
  let current = teacher;
  for (const [k, studentSteps] of chainStages(opts.fromSteps, opts.toSteps).entries()) {
    const info: RoundInfo = { stage: k + 1, teacherSteps: 2 * studentSteps, studentSteps };
    const { student, result } = await distillRound(current, {
      ...opts,
      iterations: roundIterations(opts.iterations, k),
      studentSteps,
      seed: opts.seed + 1000 * k,
      onReport: (r) => opts.onReport?.(info, r),
    });
    if (result.stopped !== 'done') {
      student.dispose();
      return {
        rounds,
        stopped: result.stopped,
        failure: result.stopped === 'nonfinite' ? { stage: info.stage, studentSteps, step: result.nonFiniteStep ?? result.steps } : undefined,
      };
    }
    const finished = { ...info, student, result };
    rounds.push(finished);
    await opts.onRound?.(finished);
    current = student;
  }
  return { rounds, stopped: 'done' };
}
