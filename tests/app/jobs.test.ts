// The time a job has left, from the rate of its current phase (a pure function of its progress reports).
import { describe, expect, it, vi } from 'vitest';
import { timeLeft } from '../../src/app/components/JobBar';
import { useStore } from '../../src/app/store';
import { withProgress, type Job } from '../../src/app/store/jobsSlice';

const start: Job = { id: 'j', kind: 'distill', label: '', done: 0, total: 1, status: 'running' };

describe('time left', () => {
  it('comes from the phase\'s own rate, only after 2 s of it, and starts again with a new phase', () => {
    let job = withProgress(start, 0, 100, 'Round 1 of 2', 1_000);
    expect(job.msLeft).toBeUndefined();
    job = withProgress(job, 1, 100, 'Round 1 of 2', 1_000); // the first unit (timed from here: next test)
    job = withProgress(job, 5, 100, 'Round 1 of 2', 2_500); // 1.5 s in: too early to say
    expect(job.msLeft).toBeUndefined();
    job = withProgress(job, 10, 100, 'Round 1 of 2', 3_000); // 9 iterations in 2 s: 90 more take 20 s
    expect(job.msLeft).toBeCloseTo(20_000, 6);
    job = withProgress(job, 37, 100, 'Round 2 of 2', 9_000); // 36 in 8 s: 63 more take 14 s
    expect(job.msLeft).toBeCloseTo(14_000, 6);
    // Measuring (another total) is a new phase with a rate of its own.
    job = withProgress(job, 3, 20, 'Measuring', 10_000);
    expect(job.msLeft).toBeUndefined();
    job = withProgress(job, 13, 20, 'Measuring', 15_000); // 10 steps in 5 s: 7 more take 3.5 s
    expect(job.msLeft).toBeCloseTo(3_500, 6);
    // Progress that goes back (a new run under the same job) starts again too.
    expect(withProgress(job, 2, 20, 'Measuring', 20_000).msLeft).toBeUndefined();
    // At the end of a phase there is nothing left to time ("about 1 s left" at 100% while other work goes on).
    expect(withProgress(job, 20, 20, 'Measuring', 16_000).msLeft).toBeUndefined();
  });

  it('leaves out the first unit of work that starts from nothing: its one-time costs are not the rate', () => {
    // A round's first step records the step and times kernels (5 s here); the steps after it take 0.1 s.
    let job = withProgress(start, 0, 300, 'Round 1 of 3', 0);
    job = withProgress(job, 1, 300, 'Round 1 of 3', 5_000);
    expect(job.msLeft).toBeUndefined(); // not 5 s × 299 ≈ 25 min
    job = withProgress(job, 21, 300, 'Round 1 of 3', 7_000); // 20 steps in 2 s: 279 more take 27.9 s
    expect(job.msLeft).toBeCloseTo(27_900, 6);
    // Across all of it (the old rule) it would have been 7 s / 21 · 279 = 93 s.
    // A phase that starts part way (measuring after training, a resume) has no first unit to leave out.
    job = withProgress(job, 3, 20, 'Measuring', 10_000);
    job = withProgress(job, 13, 20, 'Measuring', 12_000);
    expect(job.msLeft).toBeCloseTo(1_400, 6);
  });

  it('is said roughly: seconds up to a minute and a half, then minutes, then hours', () => {
    expect(timeLeft(400)).toBe('about 1 s left');
    expect(timeLeft(42_000)).toBe('about 42 s left');
    expect(timeLeft(89_000)).toBe('about 89 s left');
    expect(timeLeft(4 * 60_000 + 10_000)).toBe('about 4 min left');
    expect(timeLeft(3 * 3_600_000)).toBe('about 3.0 h left');
  });
});

describe('a paused job', () => {
  it('stops the clock: after a resume the rate is measured again, not across the pause', () => {
    let now = 0;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now);
    const { startJob, progressJob, setJobStatus } = useStore.getState();
    const job = () => useStore.getState().jobs.p;
    startJob('p', 'distill', 'Distillation');
    progressJob('p', 0, 100, 'Round 1');
    progressJob('p', 1, 100, 'Round 1'); // the rate is measured from the first unit's end (above)
    now = 4_000;
    progressJob('p', 21, 100, 'Round 1'); // 20 in 4 s: 79 more take 15.8 s
    expect(job().msLeft).toBeCloseTo(15_800, 6);
    setJobStatus('p', 'paused');
    expect(job().msLeft).toBeUndefined();
    now = 600_000; // ten minutes paused
    setJobStatus('p', 'running');
    progressJob('p', 22, 100, 'Round 1');
    expect(job().msLeft).toBeUndefined(); // a new phase: not (600 s / 22) · 78
    now = 602_000;
    progressJob('p', 32, 100, 'Round 1'); // 10 in 2 s since the resume: 68 more take 13.6 s
    expect(job().msLeft).toBeCloseTo(13_600, 6);
    clock.mockRestore();
  });
});
