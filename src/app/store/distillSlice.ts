// In-browser distillation: the loss curve fed by the trainer's periodic reports, one result per halving
// round, and the teacher's DDIM quality curve to set the students' points against.
import type { StateCreator } from 'zustand';
import type { LossPoint, RoundResult } from '../../worker/protocol';
import type { Store } from './index';

export interface DistillSlice {
  distillJobId: string | null;
  distillTeacherId: string | null;
  loss: LossPoint[];
  rounds: RoundResult[];
  teacherCurve: { steps: number; quality: number }[];
  qualityMetric: string | null;
  /** 2D teachers: samples at the first round's step count, for the per-stage scatter. */
  distillTeacherPoints: Float32Array | null;
  beginDistill(jobId: string, teacherId: string): void;
  appendLoss(jobId: string, points: LossPoint[]): void;
  addRound(jobId: string, round: RoundResult): void;
  setTeacherCurve(jobId: string, points: { steps: number; quality: number }[], metric: string, teacherPoints: Float32Array | null): void;
}

export const createDistillSlice: StateCreator<Store, [], [], DistillSlice> = (set) => ({
  distillJobId: null,
  distillTeacherId: null,
  loss: [],
  rounds: [],
  teacherCurve: [],
  qualityMetric: null,
  distillTeacherPoints: null,
  beginDistill: (jobId, teacherId) => set({ distillJobId: jobId, distillTeacherId: teacherId, loss: [], rounds: [], teacherCurve: [], qualityMetric: null, distillTeacherPoints: null }),
  appendLoss: (jobId, points) => set((s) => (s.distillJobId === jobId ? { loss: [...s.loss, ...points] } : {})),
  addRound: (jobId, round) => set((s) => (s.distillJobId === jobId ? { rounds: [...s.rounds, round] } : {})),
  setTeacherCurve: (jobId, teacherCurve, qualityMetric, distillTeacherPoints) => set((s) => (s.distillJobId === jobId ? { teacherCurve, qualityMetric, distillTeacherPoints } : {})),
});
