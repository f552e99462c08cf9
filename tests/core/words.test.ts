import { describe, expect, it } from 'vitest';
import { article, count } from '../../src/core/words';

describe('numbers in messages', () => {
  it('take the article they are read with', () => {
    const read: [number, string][] = [
      [1, 'a'], [2, 'a'], [8, 'an'], [11, 'an'], [16, 'a'], [18, 'an'], [80, 'an'], [110, 'a'], [118, 'a'],
      [128, 'a'], [800, 'an'], [8192, 'an'], [11000, 'an'], [18432, 'an'], [110000, 'a'], [1048576, 'a'],
    ];
    expect(read.map(([n]) => `${article(n)} ${n}`)).toEqual(read.map(([n, a]) => `${a} ${n}`));
  });

  it('count in the singular only for one', () => {
    expect([count(0, 'step'), count(1, 'step'), count(2, 'row')]).toEqual(['0 steps', '1 step', '2 rows']);
  });
});
