// A progress bar with a cancel button (and pause, for jobs that can pause) for one worker job.
import { useEffect, useRef, useState } from 'react';
import { cancelJob, setPaused } from '../actions';
import { useStore } from '../store';
import { isActive } from '../store/jobsSlice';
import type { JobKind } from '../../worker/protocol';

/** What a finished job did, in place of its last progress label ("Sampling column 1 … done" read as unfinished). */
const FINISHED: Record<JobKind, string> = {
  sample: 'All columns sampled',
  distill: 'Distillation finished',
  trainToy: 'Toy teacher trained and sampled',
  trajectories: 'Trajectories drawn',
  load: 'Loaded',
};

/** "about 40 s left", "about 4 min left": a rough figure, said as one. */
export function timeLeft(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  if (s < 90) return `about ${s} s left`;
  const min = Math.round(s / 60);
  return min < 90 ? `about ${min} min left` : `about ${(s / 3600).toFixed(1)} h left`;
}

export function JobBar({ jobId, pausable = false }: { jobId: string | null; pausable?: boolean }) {
  const job = useStore((s) => (jobId ? s.jobs[jobId] : undefined));
  // Said at once: the worker answers at its next step, which on a slow backend takes seconds.
  const [asked, setAsked] = useState<{ what: 'pausing…' | 'resuming…' | 'cancelling…'; id: string; status: string } | null>(null);
  // When the job ends its buttons go, and a focused button takes the keyboard's place with it (to the page's
  // start): the bar itself takes focus then, so Tab goes on from here and a screen reader reads the outcome.
  const bar = useRef<HTMLDivElement>(null);
  const hadFocus = useRef(false);
  const status = job?.status;
  useEffect(() => {
    const ended = status !== undefined && !isActive(status);
    if (ended && hadFocus.current && (document.activeElement === document.body || document.activeElement === null)) bar.current?.focus();
    if (ended) hadFocus.current = false;
  }, [status]);
  if (!job) return null;
  // Until the job's status changes (or another job takes the bar).
  const pending = asked && asked.id === job.id && asked.status === job.status ? asked.what : null;
  const active = isActive(job.status);
  const fraction = job.total > 0 ? Math.min(job.done / job.total, 1) : 0;
  return (
    <div ref={bar} tabIndex={-1} onFocus={() => { hadFocus.current = true; }} className={`job job-${job.status}`} data-testid={`job-${job.kind}`} data-status={job.status} data-job-id={job.id}>
      <div className="job-text">
        <span className="job-label" title={job.label}>{job.status === 'done' ? FINISHED[job.kind] : job.label}</span>
        <span className="muted">
          {pending}
          {!pending && job.status === 'running' && `${Math.round(fraction * 100)}%${job.msLeft !== undefined ? ` · ${timeLeft(job.msLeft)}` : ''}`}
          {!pending && job.status === 'paused' && 'paused'}
          {job.status === 'done' && 'done'}
          {job.status === 'cancelled' && 'cancelled'}
          {job.status === 'failed' && `failed: ${job.message ?? ''}`}
        </span>
        {active && pausable && (
          <button data-testid="job-pause" onClick={() => {
            setAsked({ what: job.status === 'running' ? 'pausing…' : 'resuming…', id: job.id, status: job.status });
            setPaused(job.id, job.status === 'running');
          }}>{job.status === 'paused' ? 'Resume' : 'Pause'}</button>
        )}
        {active && <button onClick={() => {
          setAsked({ what: 'cancelling…', id: job.id, status: job.status });
          cancelJob(job.id);
        }}>Cancel</button>}
      </div>
      <progress max={1} value={job.status === 'done' ? 1 : fraction} aria-label={`${job.label} progress`} />
    </div>
  );
}
