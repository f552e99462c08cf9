// The shareable settings table round-trips through the URL hash, and malformed values fall back to defaults.
import { describe, expect, it } from 'vitest';
import { defaultSettings, formatSettings, parseSettings } from '../../src/app/settings';

describe('settings ↔ URL hash', () => {
  it('round-trips every setting', () => {
    const s = { ...defaultSettings(), mode: 'toy' as const, view: 'distill' as const, toy: 'checkerboard' as const, seed: 42, eta: 0.5, batch: 36, cols: [{ model: 'teacher', steps: 256 }, { model: 'h:0123abcd', steps: 1 }], from: 64, to: 2, iters: 1000, dbatch: 128, lr: 0.0002, teacher: 'student-4' };
    const hash = formatSettings(s);
    expect(hash).toContain('cols=teacher@256,h:0123abcd@1');
    expect(parseSettings(hash)).toEqual(s);
  });

  it('writes only what differs from the defaults, and always the mode', () => {
    expect(formatSettings(defaultSettings())).toBe(`#mode=${defaultSettings().mode}`);
    expect(formatSettings({ ...defaultSettings(), seed: 9 })).toBe(`#mode=${defaultSettings().mode}&seed=9`);
  });

  it('ignores malformed values and unknown keys', () => {
    const d = defaultSettings();
    const s = parseSettings('#mode=sideways&seed=-3&eta=2&batch=65&cols=teacher@0&lr=abc&bogus=1&toy=swissroll');
    expect(s).toEqual({ ...d, toy: 'swissroll' });
    expect(parseSettings('#cols=a@1,b@2,c@4,d@8,e@16').cols).toEqual(d.cols);
  });

  it('takes only values the menus offer, so that a link never shows one thing and runs another', () => {
    const d = defaultSettings();
    // 3 steps, a batch of 5, halving from 6 or down to 3: no menu has them.
    expect(parseSettings('#cols=teacher@3,student-1@1').cols).toEqual(d.cols);
    expect(parseSettings('#batch=5').batch).toBe(d.batch);
    expect(parseSettings('#from=6&to=3')).toMatchObject({ from: d.from, to: d.to });
    // One column: the page shows two to four.
    expect(parseSettings('#cols=teacher@4').cols).toEqual(d.cols);
    // The menus' own values are taken.
    expect(parseSettings('#cols=teacher@1024,student-1@1&batch=25&from=1024&to=512')).toMatchObject({ cols: [{ model: 'teacher', steps: 1024 }, { model: 'student-1', steps: 1 }], batch: 25, from: 1024, to: 512 });
    expect(parseSettings('#from=1&to=1024')).toMatchObject({ from: d.from, to: d.to });
    expect(parseSettings('#teacher=h:1a2b3c4d').teacher).toBe('h:1a2b3c4d');
    expect(parseSettings('#teacher=a%20b').teacher).toBe(d.teacher);
  });
});
