// Runs the `halfstep` CLI as a user does (a child process of bin/halfstep.mjs): resolves with its stdout and
// stderr, rejects with them and `code` on a non-zero exit.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

// Without the SwiftShader ICD that the WebGPU tests name for their own process: `auto` then finds no adapter and
// runs wasm, as on any machine without a GPU.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'VK_ICD_FILENAMES' && k !== 'VK_DRIVER_FILES'));

export const cli = (...args: string[]) => run(process.execPath, ['bin/halfstep.mjs', ...args], { env: { ...env, CI: '1' } });
