// `--weighting` reaches the distillation loss: one step from the same student-4 on the same batch (same seed),
// so the reported loss is the loss at the starting weights under each weighting. SNR + 1 ≥ max(SNR, 1) at
// every t, with equality nowhere, so the SNR + 1 loss is the larger.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './cli';

const STUDENT = 'models/toy/moons/student-4.safetensors';

describe('halfstep distill --weighting', () => {
  it('weights the loss as asked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'halfstep-weighting-'));
    const loss = async (weighting: string) => {
      const { stdout } = await cli('distill', '--teacher', STUDENT, '--from', '4', '--to', '2', '--iters', '1', '--batch', '64', '--weighting', weighting,
        '--n', '64', '--no-teacher-eval', '--out-dir', join(dir, weighting), '--backend', 'cpu', '--json');
      const stage = stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; loss: number }).find((l) => l.type === 'stage')!;
      return stage.loss;
    };
    const [trunc, plusOne] = [await loss('snr_trunc'), await loss('snr+1')];
    expect(plusOne).toBeGreaterThan(trunc);
    await expect(cli('distill', '--teacher', STUDENT, '--from', '4', '--to', '2', '--weighting', 'snr', '--out-dir', join(dir, 'x'))).rejects.toMatchObject({
      stderr: expect.stringContaining("Allowed choices are snr_trunc, snr+1"),
    });
  });
});
