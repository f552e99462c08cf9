// The number of values in a tensor of a given shape, for code that must not import tfjs for
// `tf.util.sizeFromShape` (the app, the data parsers, the checkpoint reader).

/** Product of the dimensions; 1 for a scalar's empty shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
