// The shareable settings table round-trips through the URL hash, and malformed values fall back to defaults.
import { describe, expect, it } from 'vitest';
import { defaultSettings, formatSettings, parseSettings } from '../../src/app/settings';

describe('settings ↔ URL hash', () => {
  it('round-trips every setting', () => {
    const s = { ...defaultSettings(), mode: 'toy' as const, view: 'distill' as const, toy: 'checkerboard' as const, seed: 42, eta: 0.5, batch: 36, cols: [{ model: 'teacher', steps: 256 }, { model: 'h:0123abcd', steps: 1 }], from: 64, to: 2, iters: 1000, dbatch: 128, lr: 0.0002 };
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
});
