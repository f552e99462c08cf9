// The typed errors of the io layer. Every message is one line that names the problem, because the CLI
// prints it as-is after `error:` and the app shows it in a toast; `code` is for programs to branch on.

/** Anything that makes a checkpoint file unreadable: bad container bytes or bad Halfstep metadata/weights. */
export class CheckpointLoadError extends Error {
  constructor(readonly code: string, message: string) {
    super(oneLine(message));
    this.name = 'CheckpointLoadError';
  }
}

/** The bytes are not a valid safetensors container (or cannot be written as one). */
export class SafetensorsError extends CheckpointLoadError {
  constructor(code: SafetensorsErrorCode, message: string) {
    super(code, message);
    this.name = 'SafetensorsError';
  }
}

export type SafetensorsErrorCode =
  | 'too_small'
  | 'header_too_large'
  | 'header_length'
  | 'header_utf8'
  | 'header_json'
  | 'header_not_object'
  | 'duplicate_key'
  | 'metadata'
  | 'tensor_info'
  | 'unsupported_dtype'
  | 'shape'
  | 'offsets'
  | 'overflow'
  | 'size_mismatch'
  | 'incomplete_buffer'
  | 'invalid_input';

/** A valid safetensors file whose metadata or weights are not a valid Halfstep checkpoint. */
export class CheckpointError extends CheckpointLoadError {
  constructor(code: CheckpointErrorCode, message: string) {
    super(code, message);
    this.name = 'CheckpointError';
  }
}

export type CheckpointErrorCode = 'metadata' | 'weights' | 'invalid_input';

/** Two checkpoints that cannot be used together (a student and the teacher it claims, two configs). */
export class CompatibilityError extends Error {
  constructor(readonly reasons: readonly string[]) {
    super(oneLine(reasons.join('; ')));
    this.name = 'CompatibilityError';
  }
}

/** Newlines inside a message (e.g. from a JSON.parse error or a user's tensor name) would break the one-line contract. */
function oneLine(s: string): string {
  return s.replace(/[\r\n\u2028\u2029]+/g, ' ');
}
