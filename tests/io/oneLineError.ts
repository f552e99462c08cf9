// The error a reader must throw for a bad file: of its own typed class, with a one-line message.
import { expect } from 'vitest';

export function oneLineError<E extends Error>(read: () => unknown, type: abstract new (...args: never[]) => E): E {
  try {
    read();
  } catch (e) {
    expect(e).toBeInstanceOf(type);
    expect((e as Error).message).not.toMatch(/\n/);
    return e as E;
  }
  throw new Error(`expected a ${type.name}, but the file was accepted`);
}
