// One long job in the worker: its cancel signal, its pause gate (awaited by the trainer before every step),
// and throttled progress reports so a 1,024-step sampler does not flood the page with messages.
import type { JobKind, WorkerEvent } from './protocol';

export type Post = (e: WorkerEvent, transfer?: Transferable[]) => void;

/** Progress messages at most this often: the page redraws a bar, a few per second is plenty. */
const PROGRESS_INTERVAL_MS = 100;

export class Job {
  private readonly controller = new AbortController();
  private paused = false;
  private resumeWaiters: (() => void)[] = [];
  private lastProgress = 0;

  constructor(readonly id: string, readonly kind: JobKind, private readonly post: Post) {}

  /** Waiting at its pause gate: it holds no device time. */
  get isPaused(): boolean {
    return this.paused;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  cancel(): void {
    this.controller.abort();
    this.setPaused(false);
  }

  setPaused(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    if (!paused) {
      for (const w of this.resumeWaiters.splice(0)) w();
    }
    this.post({ type: 'paused', jobId: this.id, paused });
  }

  /** Resolves at once while running; while paused, when resumed or cancelled. */
  gate = (): Promise<void> => (this.paused ? new Promise((resolve) => this.resumeWaiters.push(resolve)) : Promise.resolve());

  progress(done: number, total: number, label: string, force = false): void {
    const now = performance.now();
    if (!force && done < total && now - this.lastProgress < PROGRESS_INTERVAL_MS) return;
    this.lastProgress = now;
    this.post({ type: 'progress', jobId: this.id, kind: this.kind, done, total, label });
  }
}

export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}
