// wasm on several threads in Node (src/tensor/nodeWasmThreads.ts), each case in a process of its own: the
// threads it starts, and the one-thread build, with a note saying why, when a part of the threaded setup is
// missing. Every process must exit by itself: threads left referenced would keep it alive.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const child = async (mode: string) => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'tests/tensor/wasmThreadsChild.ts', mode], { timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as { threads: number; note?: string; backend: string; product: number[] };
};
// [[1, 2], [3, 4]] · [[5, 6], [7, 8]], by hand.
const PRODUCT = [19, 22, 43, 50];

describe('startNodeWasm', () => {
  it('starts the threads asked for', async () => {
    expect(await child('3')).toEqual({ threads: 3, backend: 'wasm', product: PRODUCT });
  }, 90_000);

  it('starts one thread, without a note, when one is asked for', async () => {
    expect(await child('1')).toEqual({ threads: 1, backend: 'wasm', product: PRODUCT });
  }, 90_000);

  it("falls back to one thread when our worker file is missing, and says so", async () => {
    const r = await child('missing-worker');
    expect(r).toMatchObject({ threads: 1, backend: 'wasm', product: PRODUCT });
    expect(r.note).toMatch(/^the threaded build's worker cannot be prepared: .*no-such-worker\.cjs/);
  }, 90_000);

  it('falls back to one thread when the threaded build fails to start, stops its workers, and says so', async () => {
    const r = await child('missing-binary');
    expect(r).toMatchObject({ threads: 1, backend: 'wasm', product: PRODUCT });
    expect(r.note).toMatch(/^the threaded build did not start/);
  }, 90_000);
});
