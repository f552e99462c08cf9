// The pure helpers behind the page's menus, checkpoint list, number fields and shared links.
import { describe, expect, it } from 'vitest';
import { listOrder, menuLabels, modelsOfMode } from '../../src/app/actions';
import { valueTicks } from '../../src/app/components/Charts';
import { chainText } from '../../src/app/components/DistillView';
import { parseNumberField } from '../../src/app/components/NumberField';
import { shareableLink } from '../../src/app/urlSync';
import type { ModelInfo } from '../../src/worker/protocol';

let n = 0;
function model(over: Partial<ModelInfo>): ModelInfo {
  n += 1;
  return {
    id: `m${n}`, name: `file${n}.safetensors`, source: 'dropped', role: 'student', steps: 4, lineage: null, hash: `${n}`.padStart(64, '0'),
    dataKind: 'toy2d', dataName: 'moons', sampleShape: [2], arch: 'mlp', parameterCount: 10, fileBytes: 100, ...over,
  } as ModelInfo;
}

describe('menu labels', () => {
  it('keeps a unique label as it is and tells apart two models that share one', () => {
    const shipped = model({ source: 'shipped', shippedKey: 'toy/moons/student-4' });
    const trained = model({ source: 'trained', name: 'student-4.safetensors' });
    const teacher = model({ source: 'shipped', shippedKey: 'toy/moons/teacher', role: 'teacher', steps: null });
    const labels = menuLabels([shipped, trained, teacher]);
    expect(labels.get(shipped.id)).toBe('student-4 (shipped)');
    expect(labels.get(trained.id)).toBe('student-4 (trained)');
    expect(labels.get(teacher.id)).toBe('teacher');
  });

  it('numbers models that share both the label and the source', () => {
    const a = model({ source: 'trained', name: 'student-2.safetensors' });
    const b = model({ source: 'trained', name: 'student-2.safetensors' });
    const labels = menuLabels([a, b]);
    expect([labels.get(a.id), labels.get(b.id)]).toEqual(['student-2 (trained #1)', 'student-2 (trained #2)']);
  });
});

describe('checkpoint list order', () => {
  it('puts the set on screen first, teacher before students, students from most steps to fewest', () => {
    const s1 = model({ steps: 1, name: 's1' });
    const s8 = model({ steps: 8, name: 's8' });
    const t = model({ role: 'teacher', steps: null, name: 't' });
    const s4 = model({ steps: 4, name: 's4' });
    const digits = model({ dataKind: 'image', dataName: 'mnist', steps: 2, name: 'd2' });
    const checker = model({ dataName: 'checkerboard', role: 'teacher', steps: null, name: 'c' });
    const names = (ms: ModelInfo[]) => ms.map((m) => m.name);
    expect(names(listOrder([s1, digits, s8, checker, t, s4], 'toy', 'moons'))).toEqual(['t', 's8', 's4', 's1', 'd2', 'c']);
    expect(names(listOrder([s1, digits, s8, checker, t, s4], 'mnist', 'moons'))[0]).toBe('d2');
  });

  it('orders the menus too, while same-name models keep the numbers of their load order, as in the list', () => {
    const s16 = model({ steps: 16, name: 's16' });
    const s8a = model({ steps: 8, name: 's8a', source: 'trained' });
    const s8 = model({ steps: 8, name: 's8', source: 'shipped' });
    const s8b = model({ steps: 8, name: 's8b', source: 'trained' });
    const t = model({ role: 'teacher', steps: null, name: 't' });
    const digits = model({ dataKind: 'image', dataName: 'mnist', role: 'teacher', steps: null, name: 'd' });
    const pool = modelsOfMode([s8a, s16, digits, s8, t, s8b], 'toy', 'moons');
    expect(listOrder(pool, 'toy', 'moons').map((m) => m.name)).toEqual(['t', 's16', 's8', 's8a', 's8b']);
    // Two files of one name and source, a 2-step student loaded before an 8-step one: listed 8 first, numbered as loaded.
    const a = model({ steps: 2, name: 'model.safetensors' });
    const b = model({ steps: 8, name: 'model.safetensors' });
    const labels = menuLabels(modelsOfMode([a, b], 'toy', 'moons'));
    expect(listOrder([a, b], 'toy', 'moons').map((m) => labels.get(m.id))).toEqual(['model (dropped #2)', 'model (dropped #1)']);
  });
});

describe('number field parsing', () => {
  it('passes on a number in range and says what is expected otherwise', () => {
    expect(parseNumberField(' 50 ', 1, 100_000, true)).toEqual({ value: 50 });
    expect(parseNumberField('0.0005', 1e-6, 1, false)).toEqual({ value: 0.0005 });
    expect(parseNumberField('', 1, 100_000, true)).toEqual({ problem: 'enter a whole number from 1 to 100,000' });
    expect(parseNumberField('2.5', 1, 1024, true)).toEqual({ problem: 'a whole number from 1 to 1,024' });
    expect(parseNumberField('1e9', 1, 1024, true)).toEqual({ problem: 'a whole number from 1 to 1,024' });
    expect(parseNumberField('abc', 0, 1, false)).toEqual({ problem: 'a number from 0 to 1' });
    // A bound below 1e-3 as written: toLocaleString would print 1e-6 as '0', and 0 is refused.
    expect(parseNumberField('0', 1e-6, 1, false)).toEqual({ problem: 'a number from 0.000001 to 1' });
  });
});

describe('shared links', () => {
  it('drop a forced backend and keep the view', () => {
    expect(shareableLink('http://127.0.0.1:5173/?backend=wasm#mode=toy&seed=3')).toBe('http://127.0.0.1:5173/#mode=toy&seed=3');
    expect(shareableLink('https://example.org/halfstep/?x=1&backend=cpu#mode=mnist')).toBe('https://example.org/halfstep/?x=1#mode=mnist');
  });
});

describe('x̂ strip frames', () => {
  it('shows every frame of a short sampler and 8 evenly spaced ones, first and last, of a long one', async () => {
    const { stripFrames } = await import('../../src/worker/protocol');
    expect(stripFrames(4)).toEqual([0, 1, 2, 3]);
    expect(stripFrames(8)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // 256 frames, indices 0..255: i·255/7 rounded.
    expect(stripFrames(256)).toEqual([0, 36, 73, 109, 146, 182, 219, 255]);
  });
});

describe('the chain a distillation runs, in words', () => {
  it('lists every step count of a short chain and the ends of a long one, with no step that is not run', () => {
    expect(chainText(8, 4)).toBe('8 → 4');
    expect(chainText(8, 2)).toBe('8 → 4 → 2');
    expect(chainText(32, 1)).toBe('32 → 16 → 8 → 4 → 2 → 1');
    expect(chainText(256, 1)).toBe('256 → 128 → 64 → … → 2 → 1');
  });
});

describe('quality chart ticks', () => {
  it('step by 1, 2 or 5 × 10^k and print every tick with the same decimals', () => {
    // [0, 1.03]: a fifth of the span is 0.206, so the step is 0.5; ticks up to the first one past 1.03.
    expect(valueTicks(0, 1.03)).toEqual({ ticks: [0, 0.5, 1, 1.5], decimals: 1 });
    // [0, 0.3]: 0.06 → step 0.1.
    expect(valueTicks(0, 0.3)).toEqual({ ticks: [0, 0.1, 0.2, 0.3], decimals: 1 });
    // KID in the tens: 77.8 / 5 = 15.6 → step 20.
    expect(valueTicks(0, 77.8)).toEqual({ ticks: [0, 20, 40, 60, 80], decimals: 0 });
    // A small negative KID: [-0.4, 2.1], 0.5 → step 0.5.
    expect(valueTicks(-0.4, 2.1)).toEqual({ ticks: [-0.5, 0, 0.5, 1, 1.5, 2, 2.5], decimals: 1 });
    // One value only: still an axis.
    expect(valueTicks(0, 0)).toEqual({ ticks: [0, 0.2], decimals: 1 });
  });
});
