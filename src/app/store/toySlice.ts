// The 2D toy mode: training a teacher in the browser and the ODE trajectories from noise to data.
import type { StateCreator } from 'zustand';
import type { LossPoint } from '../../worker/protocol';
import type { Store } from './index';

export interface Trajectories {
  /** The toy set they were drawn for: shown only while that set is on screen. */
  toy: string;
  /** paths[c]: [count, steps[c] + 1, 2] row-major. */
  paths: Float32Array[];
  steps: number[];
  labels: string[];
  count: number;
  /** Points of the toy set, [n, 2], drawn behind the paths. */
  data: Float32Array;
}

export interface ToySlice {
  toyJobId: string | null;
  /** The toy set the teacher of toyJobId trains on. */
  toyJobDataset: string | null;
  toyLoss: LossPoint[];
  /** Samples of the freshly trained toy teacher, [n, 2]. */
  toyTeacherPoints: Float32Array | null;
  trajectoryJobId: string | null;
  trajectoryLabels: string[];
  trajectoryToy: string;
  trajectories: Trajectories | null;
  beginToyTraining(jobId: string, dataset: string): void;
  appendToyLoss(jobId: string, points: LossPoint[]): void;
  setToyTeacherPoints(jobId: string, points: Float32Array | null): void;
  beginTrajectories(jobId: string, labels: string[], toy: string): void;
  setTrajectories(jobId: string, t: Omit<Trajectories, 'labels' | 'toy'>): void;
}

export const createToySlice: StateCreator<Store, [], [], ToySlice> = (set) => ({
  toyJobId: null,
  toyJobDataset: null,
  toyLoss: [],
  toyTeacherPoints: null,
  trajectoryJobId: null,
  trajectoryLabels: [],
  trajectoryToy: '',
  trajectories: null,
  beginToyTraining: (jobId, dataset) => set({ toyJobId: jobId, toyJobDataset: dataset, toyLoss: [], toyTeacherPoints: null }),
  appendToyLoss: (jobId, points) => set((s) => (s.toyJobId === jobId ? { toyLoss: [...s.toyLoss, ...points] } : {})),
  setToyTeacherPoints: (jobId, points) => set((s) => (s.toyJobId === jobId ? { toyTeacherPoints: points } : {})),
  beginTrajectories: (jobId, labels, toy) => set({ trajectoryJobId: jobId, trajectoryLabels: labels, trajectoryToy: toy }),
  setTrajectories: (jobId, t) => set((s) => (s.trajectoryJobId === jobId ? { trajectories: { ...t, labels: s.trajectoryLabels, toy: s.trajectoryToy } } : {})),
});
