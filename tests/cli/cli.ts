// Runs the `halfstep` CLI as a user does (a child process of bin/halfstep.mjs): resolves with its stdout and
// stderr, rejects with them and `code` on a non-zero exit.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

// Without the SwiftShader ICD that the WebGPU tests name for their own process: `auto` then finds no adapter and
// runs wasm, as on any machine without a GPU.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'VK_ICD_FILENAMES' && k !== 'VK_DRIVER_FILES'));

export const cli = (...args: string[]) => run(process.execPath, ['bin/halfstep.mjs', ...args], { env: { ...env, CI: '1' } });

/** A file's SHA-256, hex: the same bytes or not. */
export const fileDigest = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** The float32 payload of a .npy file written by `sample` (version 1 header: its length at byte 8). */
export function npyValues(file: string): Float32Array {
  const bytes = readFileSync(file);
  const start = 10 + bytes.readUInt16LE(8);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + bytes.length));
}
