import type { Checkpoint } from '../io/checkpoint';
import { CliError } from './cliError';

/** A student samples at its own step count unless told otherwise; a teacher needs --steps. */
export function resolveSteps(file: string, ckpt: Checkpoint, steps: number | undefined): number {
  if (steps !== undefined) return steps;
  if (ckpt.steps !== null) return ckpt.steps;
  throw new CliError(`${file} is a teacher: say how many sampling steps with --steps`);
}
