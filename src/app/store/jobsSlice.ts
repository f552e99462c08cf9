// Every long job the worker runs, with its progress, so each gets a progress bar and a cancel button.
import type { StateCreator } from 'zustand';
import type { JobKind } from '../../worker/protocol';
import type { Store } from './index';

export type JobStatus = 'running' | 'paused' | 'done' | 'cancelled' | 'failed';

/** Still going: running, or paused and able to go on (its buttons are on screen). */
export const isActive = (status: JobStatus | undefined): boolean => status === 'running' || status === 'paused';

export interface Job {
  id: string;
  kind: JobKind;
  label: string;
  done: number;
  total: number;
  status: JobStatus;
  message?: string;
  /** Where the current phase's rate is measured from: a new total (the next phase) or a resume starts it again. */
  phase?: { at: number; done: number; total: number };
  /** Time left in this phase at its rate so far, once there is a rate to go by. */
  msLeft?: number;
}

/** A rate needs this much of a phase behind it before it says anything. */
const RATE_AFTER_MS = 2000;

/** The job after a progress report at time `now` (ms): the phase it is in and the time that phase has left. */
export function withProgress(job: Job, done: number, total: number, label: string, now: number): Job {
  let phase = job.phase && job.phase.total === total && done >= job.done ? job.phase : { at: now, done, total };
  // Work that starts from nothing pays its one-time costs in its first unit (a round records its steps, kernels
  // are timed on a GPU): a rate measured across them put the time left at the start of a distillation far too
  // high. Such a phase is measured from its first report of progress instead.
  if (phase.done === 0 && done > 0) phase = { at: now, done, total };
  const elapsed = now - phase.at;
  // Nothing to say at the end of a phase (work that follows it, such as measuring the last student, is not in it).
  const msLeft = done > phase.done && done < total && elapsed >= RATE_AFTER_MS ? (elapsed / (done - phase.done)) * (total - done) : undefined;
  return { ...job, done, total, label, phase, msLeft };
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
    return { jobs: { ...s.jobs, [id]: withProgress(job, done, total, label, performance.now()) } };
  }),
  setJobStatus: (id, status, message) => set((s) => {
    const job = s.jobs[id];
    if (!job) return {};
    // A pause stops the clock: the rate is measured again from the resume (and only a running job has one).
    const clockRuns = job.status === 'running' && status === 'running';
    return { jobs: { ...s.jobs, [id]: { ...job, status, message, ...(clockRuns ? {} : { phase: undefined, msLeft: undefined }) } } };
  }),
});
