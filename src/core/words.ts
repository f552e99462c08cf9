// Numbers in messages: "an 8-step student", "1 step", "3 rows".

/** 'a' or 'an' before a whole number written in digits, as it is read: an 8, an 11, an 18, a 16, a 110. */
export function article(n: number): 'a' | 'an' {
  const s = String(n);
  // eight…, and eleven / eighteen (also eleven thousand, eighteen million: two leading digits of a group of three).
  return s.startsWith('8') || (s.length % 3 === 2 && (s.startsWith('11') || s.startsWith('18'))) ? 'an' : 'a';
}

/** '1 step', '4 steps': a count and its noun (plural with -s). */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
