// An error as one line of text, for messages that quote it (Node's module errors go on with a require stack).

/** The message of `e` (or `e` as text), up to its first line break. */
export function errorLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
