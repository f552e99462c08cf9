// `halfstep grid --row FILE[@STEPS]`: the step count after the last '@', or a usage error that says the form.
import { describe, expect, it } from 'vitest';
import { parseRow } from '../../src/cli/commands/grid';

describe('grid rows', () => {
  it('reads FILE and FILE@STEPS, and says what is wrong with a bad step count', () => {
    expect(parseRow('models/mnist/student-4.safetensors')).toEqual({ file: 'models/mnist/student-4.safetensors' });
    expect(parseRow('runs/a@b/teacher.safetensors@64')).toEqual({ file: 'runs/a@b/teacher.safetensors', steps: 64 });
    expect(() => parseRow('student-16.safetensors@3x')).toThrow("--row student-16.safetensors@3x: '3x' is not a step count (FILE@STEPS, e.g. teacher.safetensors@64)");
    expect(() => parseRow('teacher.safetensors@0')).toThrow(/'0' is not a step count/);
    // An '@' in a directory name belongs to the path.
    expect(parseRow('runs/v@1/student-4.safetensors')).toEqual({ file: 'runs/v@1/student-4.safetensors' });
  });
});
