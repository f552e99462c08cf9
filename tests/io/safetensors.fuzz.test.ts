// Property-based fuzzing of the readers with fast-check: mutated, truncated and hand-edited versions of
// valid files must only ever raise the typed error, in bounded time and memory. The properties run in a
// worker thread (tests/io/fuzz/fuzz.worker.ts) that this test terminates if it stops reporting progress,
// so even an infinite loop fails the test instead of hanging it. Set HALFSTEP_FUZZ_SEED to replay a run.
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { FuzzStats, FuzzTask } from './fuzz/fuzz.worker';

const seed = Number(process.env.HALFSTEP_FUZZ_SEED ?? Date.now() % 2 ** 31);
/** Booting the worker (tsx compiling the sources) can take this long on a loaded 2-core machine. */
const BOOT_MS = 120_000;
/** No progress report for this long, once booted, means a case hangs (a batch of 250 takes well under 1 s idle). */
const STALL_MS = 60_000;

function runFuzz(task: FuzzTask['task'], runs: number): Promise<{ error?: string; stats: FuzzStats }> {
  const workerFile = fileURLToPath(new URL('./fuzz/fuzz.worker.ts', import.meta.url));
  // The worker runs TypeScript through tsx, as bin/halfstep.mjs does.
  const bootstrap = `import { register } from 'tsx/esm/api'; register(); await import(${JSON.stringify(workerFile)});`;
  const worker = new Worker(bootstrap, { eval: true, workerData: { task, runs, seed, batch: 250 } satisfies FuzzTask });
  return new Promise((resolve, reject) => {
    let timer = setTimeout(() => stalled('did not start'), BOOT_MS);
    function stalled(what: string) {
      void worker.terminate();
      reject(new Error(`fuzz worker (${task}, seed ${seed}) ${what}`));
    }
    worker.on('message', (m: { progress?: number; done?: boolean; error?: string; stats?: FuzzStats }) => {
      clearTimeout(timer);
      if (m.progress !== undefined) {
        timer = setTimeout(() => stalled(`made no progress for ${STALL_MS / 1000} s after ${m.progress} cases: a case hangs`), STALL_MS);
        return;
      }
      void worker.terminate();
      resolve({ error: m.error, stats: m.stats! });
    });
    worker.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

describe(`fuzzing the readers (seed ${seed})`, () => {
  it('accepts 500 random valid files and decodes them faithfully', { timeout: 300_000 }, async () => {
    const { error, stats } = await runFuzz('valid', 500);
    expect(error).toBeUndefined();
    expect(stats.accepted).toBe(500);
  });

  it('10,000 mutated safetensors files: only SafetensorsError, one-line messages, bounded time and memory', { timeout: 600_000 }, async () => {
    const { error, stats } = await runFuzz('safetensors', 10_000);
    expect(error).toBeUndefined();
    expect(stats.runs).toBe(10_000);
    // The mutations must reach deep checks, not just the first one: several distinct error codes, some survivors.
    expect(Object.keys(stats.codes).length).toBeGreaterThanOrEqual(10);
    expect(stats.accepted).toBeGreaterThan(0);
    console.info(`safetensors fuzz: ${stats.rejected} rejected, ${stats.accepted} accepted, slowest ${stats.maxMs.toFixed(1)} ms, codes ${JSON.stringify(stats.codes)}`);
  });

  it('3,000 mutated checkpoints: only CheckpointLoadError (container or metadata), bounded time and memory', { timeout: 300_000 }, async () => {
    const { error, stats } = await runFuzz('checkpoint', 3_000);
    expect(error).toBeUndefined();
    expect(stats.runs).toBe(3_000);
    expect(stats.codes.metadata).toBeGreaterThan(0);
    console.info(`checkpoint fuzz: ${stats.rejected} rejected, ${stats.accepted} accepted, slowest ${stats.maxMs.toFixed(1)} ms, codes ${JSON.stringify(stats.codes)}`);
  });
});
