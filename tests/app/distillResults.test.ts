// The Distill tab's figures belong to one run: a new run takes the screen with its first figure, and a run
// stopped before it finished a round gives the screen back to the run it took it from.
import { beforeEach, describe, expect, it } from 'vitest';
import { useStore } from '../../src/app/store';
import type { RoundResult } from '../../src/worker/protocol';

const run = (teacherId: string) => ({ teacherId, fromSteps: 8, toSteps: 4, iterations: 20, batchSize: 64, learningRate: 1e-3 });
const round = { round: 1, fromSteps: 8, toSteps: 4 } as unknown as RoundResult;

beforeEach(() => {
  useStore.setState({ distillJobId: null, startedTeacherId: null, startedRun: null, resultsJobId: null, distillTeacherId: null, loss: [], rounds: [], teacherCurve: [], qualityMetric: null, distillTeacherPoints: null, previousResults: null });
});

function finishedPracticeRun(): void {
  const s = useStore.getState();
  s.beginDistill('d1', run('t'));
  s.setTeacherCurve('d1', [{ steps: 8, quality: 30 }, { steps: 4, quality: 40 }], 'KID', null);
  s.appendLoss('d1', [{ round: 1, step: 10, globalStep: 10, loss: 0.01, lr: 1e-3 }]);
  s.addRound('d1', round);
  s.endDistill('d1', 'done');
}

describe('the Distill figures on screen', () => {
  it('go back to the finished run when the next one is cancelled before its first round ends', () => {
    finishedPracticeRun();
    const s = useStore.getState();
    s.beginDistill('d2', run('t'));
    s.setTeacherCurve('d2', [{ steps: 8, quality: 31 }], 'KID', null);
    s.appendLoss('d2', [{ round: 1, step: 5, globalStep: 5, loss: 0.02, lr: 1e-3 }]);
    expect(useStore.getState().resultsJobId).toBe('d2'); // the new run took the screen with its first figure
    expect(useStore.getState().rounds).toEqual([]);
    s.endDistill('d2', 'cancelled');
    const after = useStore.getState();
    expect(after.resultsJobId).toBe('d1');
    expect(after.rounds).toEqual([round]);
    expect(after.teacherCurve).toEqual([{ steps: 8, quality: 30 }, { steps: 4, quality: 40 }]);
    expect(after.loss.map((p) => p.loss)).toEqual([0.01]);
  });

  it('stay with a stopped run that finished a round, and with a finished one', () => {
    finishedPracticeRun();
    const s = useStore.getState();
    s.beginDistill('d2', run('t'));
    s.addRound('d2', { ...round, toSteps: 2 } as RoundResult);
    s.endDistill('d2', 'failed');
    expect(useStore.getState().resultsJobId).toBe('d2');
    s.beginDistill('d3', run('t'));
    s.appendLoss('d3', [{ round: 1, step: 5, globalStep: 5, loss: 0.02, lr: 1e-3 }]);
    s.addRound('d3', round);
    s.endDistill('d3', 'done');
    expect(useStore.getState().resultsJobId).toBe('d3');
    expect(useStore.getState().previousResults).toBeNull();
  });
});
