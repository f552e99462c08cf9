// In-browser distillation: the loss curve fed by the trainer's periodic reports, one result per halving
// round, and the teacher's DDIM quality curve to set the students' points against.
import type { StateCreator } from 'zustand';
import type { LossPoint, RoundResult } from '../../worker/protocol';
import type { Store } from './index';

/** What a distillation was started with: the page shows these, not the live settings, while it runs. */
export interface DistillRun {
  teacherId: string;
  fromSteps: number;
  toSteps: number;
  iterations: number;
  batchSize: number;
  learningRate: number;
}

export interface DistillSlice {
  /** The distillation last started (its job bar), the teacher it runs from, and its settings. */
  distillJobId: string | null;
  startedTeacherId: string | null;
  startedRun: DistillRun | null;
  /**
   * The run whose loss, rounds and curves are on screen, and its teacher. A new run takes the screen with its
   * first figure, so one that fails or is cancelled before any leaves the previous run's charts in place.
   */
  resultsJobId: string | null;
  distillTeacherId: string | null;
  loss: LossPoint[];
  rounds: RoundResult[];
  teacherCurve: { steps: number; quality: number }[];
  qualityMetric: string | null;
  /** 2D teachers: samples at the first round's step count, for the per-stage scatter. */
  distillTeacherPoints: Float32Array | null;
  /** The figures a new run took the screen from, kept until it finishes a round (see endDistill). */
  previousResults: ShownResults | null;
  beginDistill(jobId: string, run: DistillRun): void;
  /**
   * Run `jobId` ended. Cancelled or failed before its first round ended, it gives the screen back to the run it
   * took it from: a practice run's table, grids and downloads are not lost to a retry that was stopped.
   */
  endDistill(jobId: string, status: 'done' | 'cancelled' | 'failed'): void;
  appendLoss(jobId: string, points: LossPoint[]): void;
  addRound(jobId: string, round: RoundResult): void;
  setTeacherCurve(jobId: string, points: { steps: number; quality: number }[], metric: string, teacherPoints: Float32Array | null): void;
}

type ShownResults = Pick<DistillSlice, 'resultsJobId' | 'distillTeacherId' | 'loss' | 'rounds' | 'teacherCurve' | 'qualityMetric' | 'distillTeacherPoints'>;

/**
 * A figure of run `jobId` (ignored unless it is the run last started): the run takes the screen, its figures
 * cleared, if it is not on screen yet; then `update` adds the figure to what is shown.
 */
function figureOf(s: DistillSlice, jobId: string, update: (shown: DistillSlice) => Partial<DistillSlice>): Partial<DistillSlice> {
  if (s.distillJobId !== jobId) return {};
  const { resultsJobId, distillTeacherId, loss, rounds, teacherCurve, qualityMetric, distillTeacherPoints } = s;
  const takeover: Partial<DistillSlice> = s.resultsJobId === jobId ? {} : {
    resultsJobId: jobId, distillTeacherId: s.startedTeacherId, loss: [], rounds: [], teacherCurve: [], qualityMetric: null, distillTeacherPoints: null,
    // Only a run with a finished round is worth giving the screen back to.
    previousResults: rounds.length > 0 ? { resultsJobId, distillTeacherId, loss, rounds, teacherCurve, qualityMetric, distillTeacherPoints } : null,
  };
  return { ...takeover, ...update({ ...s, ...takeover }) };
}

export const createDistillSlice: StateCreator<Store, [], [], DistillSlice> = (set) => ({
  distillJobId: null,
  startedTeacherId: null,
  startedRun: null,
  resultsJobId: null,
  distillTeacherId: null,
  loss: [],
  rounds: [],
  teacherCurve: [],
  qualityMetric: null,
  distillTeacherPoints: null,
  previousResults: null,
  endDistill: (jobId, status) => set((s) => {
    if (s.resultsJobId !== jobId) return {};
    if (status !== 'done' && s.rounds.length === 0 && s.previousResults) return { ...s.previousResults, previousResults: null };
    return { previousResults: null };
  }),
  beginDistill: (jobId, run) => set({ distillJobId: jobId, startedTeacherId: run.teacherId, startedRun: run }),
  appendLoss: (jobId, points) => set((s) => figureOf(s, jobId, (shown) => ({ loss: [...shown.loss, ...points] }))),
  addRound: (jobId, round) => set((s) => figureOf(s, jobId, (shown) => ({ rounds: [...shown.rounds, round] }))),
  setTeacherCurve: (jobId, teacherCurve, qualityMetric, distillTeacherPoints) => set((s) => figureOf(s, jobId, () => ({ teacherCurve, qualityMetric, distillTeacherPoints }))),
});
