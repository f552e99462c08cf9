import type { Checkpoint } from '../io/checkpoint';
import { CliError } from './cliError';
import { count } from '../core/words';

/**
 * A student samples at its own step count unless told otherwise; a teacher needs a step count (`how` says how
 * the command takes one). A student run at another count works, but is outside what it learned: say so.
 */
export function resolveSteps(file: string, ckpt: Checkpoint, steps: number | undefined, how = '--steps'): number {
  if (steps !== undefined) {
    if (ckpt.steps !== null && steps !== ckpt.steps) {
      process.stderr.write(`note: ${file} is a student distilled for ${count(ckpt.steps, 'step')}; at ${steps} it runs outside what it learned (expect worse samples)\n`);
    }
    return steps;
  }
  if (ckpt.steps !== null) return ckpt.steps;
  throw new CliError(`${file} is a teacher: say how many sampling steps with ${how}`);
}
