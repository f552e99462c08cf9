// A look at another set (mode or toy set) does not lose the columns prepared for this one.
import { beforeEach, describe, expect, it } from 'vitest';
import { defaultColumns } from '../../src/app/actions';
import { defaultSettings, formatSettings, parseSettings } from '../../src/app/settings';
import type { ModelInfo } from '../../src/worker/protocol';
import { useStore } from '../../src/app/store';

beforeEach(() => {
  useStore.setState({ settings: { ...defaultSettings(), mode: 'mnist' }, columnsBySet: {} });
});

describe('columns per set', () => {
  it('come back when the mode or toy set they were made for comes back', () => {
    const s = useStore.getState();
    const prepared = [{ model: 'teacher', steps: 64 }, { model: 'student-4', steps: 4 }];
    s.patchSettings({ cols: prepared, seed: 42 });
    s.patchSettings({ mode: 'toy', toy: 'moons', cols: [] }); // what the mode tabs do
    expect(useStore.getState().settings.cols).toEqual([]); // moons had none: its defaults
    const moons = [{ model: 'student-1', steps: 1 }, { model: 'teacher', steps: 1 }];
    s.patchSettings({ cols: moons });
    s.patchSettings({ toy: 'swissroll', cols: [] }); // what the toy-set picker does
    expect(useStore.getState().settings.cols).toEqual([]);
    s.patchSettings({ mode: 'mnist', cols: [] });
    expect(useStore.getState().settings.cols).toEqual(prepared);
    expect(useStore.getState().settings.seed).toBe(42);
    s.patchSettings({ mode: 'toy', toy: 'moons', cols: [] });
    expect(useStore.getState().settings.cols).toEqual(moons);
  });

  it('drop the distillation teacher picked in one set on a move to another', () => {
    const s = useStore.getState();
    s.patchSettings({ mode: 'toy', toy: 'moons', cols: [], teacher: 'student-4' });
    expect(useStore.getState().settings.teacher).toBe('student-4');
    s.patchSettings({ seed: 3 });
    expect(useStore.getState().settings.teacher).toBe('student-4');
    s.patchSettings({ toy: 'swissroll', cols: [] });
    expect(useStore.getState().settings.teacher).toBe('');
  });

  it('are replaced, not restored, by a patch that names columns', () => {
    const s = useStore.getState();
    s.patchSettings({ cols: [{ model: 'teacher', steps: 8 }] });
    s.patchSettings({ mode: 'toy', toy: 'moons', cols: [{ model: 'teacher', steps: 2 }] });
    expect(useStore.getState().settings.cols).toEqual([{ model: 'teacher', steps: 2 }]);
  });
});

describe('default columns', () => {
  const model = (role: 'teacher' | 'student', steps: number | null, hash: string) => ({ id: hash, role, steps, hash: hash.repeat(8), name: `${hash}.safetensors` }) as unknown as ModelInfo;

  it('are two at least, so that a link of them (a changed column, Copy link) opens them again', () => {
    for (const models of [[model('student', 4, 'a')], [model('student', 4, 'a'), model('student', 8, 'b')], [model('teacher', null, 'c')]]) {
      const cols = defaultColumns(models, 'mnist');
      expect(cols.length, models.map((m) => m.steps).join()).toBeGreaterThanOrEqual(2);
      const link = formatSettings({ ...defaultSettings(), cols });
      expect(parseSettings(link).cols).toEqual(cols);
    }
    // One student alone: itself at its own steps and at twice them.
    expect(defaultColumns([model('student', 4, 'a')], 'mnist')).toEqual([{ model: 'h:aaaaaaaa', steps: 4 }, { model: 'h:aaaaaaaa', steps: 8 }]);
  });
});
