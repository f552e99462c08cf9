// Every long job the worker runs, with its progress, so each gets a progress bar and a cancel button.
import type { StateCreator } from 'zustand';
import type { JobKind } from '../../worker/protocol';
import type { Store } from './index';

export type JobStatus = 'running' | 'paused' | 'done' | 'cancelled' | 'failed';

export interface Job {
  id: string;
  kind: JobKind;
  label: string;
  done: number;
  total: number;
  status: JobStatus;
  message?: string;
}

export interface JobsSlice {
  jobs: Record<string, Job>;
  startJob(id: string, kind: JobKind, label: string): void;
  progressJob(id: string, done: number, total: number, label: string): void;
  setJobStatus(id: string, status: JobStatus, message?: string): void;
}

export const createJobsSlice: StateCreator<Store, [], [], JobsSlice> = (set) => ({
  jobs: {},
  startJob: (id, kind, label) => set((s) => ({ jobs: { ...s.jobs, [id]: { id, kind, label, done: 0, total: 1, status: 'running' } } })),
  progressJob: (id, done, total, label) => set((s) => {
    const job = s.jobs[id];
    if (!job) return {};
    return { jobs: { ...s.jobs, [id]: { ...job, done, total, label } } };
  }),
  setJobStatus: (id, status, message) => set((s) => {
    const job = s.jobs[id];
    if (!job) return {};
    return { jobs: { ...s.jobs, [id]: { ...job, status, message } } };
  }),
});
