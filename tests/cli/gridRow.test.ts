// `halfstep grid --row FILE[@STEPS]`: the step count after the last '@', or a usage error that says the form.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRow } from '../../src/cli/commands/grid';
import { cli } from './cli';

describe('grid rows', () => {
  it('reads FILE and FILE@STEPS, and says what is wrong with a bad step count', () => {
    expect(parseRow('models/mnist/student-4.safetensors')).toEqual({ file: 'models/mnist/student-4.safetensors' });
    expect(parseRow('runs/a@b/teacher.safetensors@64')).toEqual({ file: 'runs/a@b/teacher.safetensors', steps: 64 });
    expect(() => parseRow('student-16.safetensors@3x')).toThrow("--row student-16.safetensors@3x: '3x' is not a step count from 1 to 1048576 (FILE@STEPS, e.g. teacher.safetensors@64)");
    expect(() => parseRow('teacher.safetensors@0')).toThrow(/'0' is not a step count/);
    expect(() => parseRow('teacher.safetensors@2097152')).toThrow(/'2097152' is not a step count from 1 to 1048576/);
    // A file whose own name holds '@' and no step count after it: that file (it exists), not a bad step count.
    const named = join(mkdtempSync(join(tmpdir(), 'halfstep-row-')), 's@4.safetensors');
    writeFileSync(named, '');
    expect(parseRow(named)).toEqual({ file: named });
    expect(parseRow(`${named}@8`)).toEqual({ file: named, steps: 8 });
    // An '@' in a directory name belongs to the path.
    expect(parseRow('runs/v@1/student-4.safetensors')).toEqual({ file: 'runs/v@1/student-4.safetensors' });
  });

  it('refuses a 2D model with status 2 and says what to use instead', async () => {
    await expect(cli('grid', '--row', 'models/toy/moons/teacher.safetensors', '--out', '/tmp/never.png', '--backend', 'cpu')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('grid draws image models (MNIST); this one is a 2D model of moons: use sample for its points'),
    });
  });
});
