// Two figures read off the MNIST classifier's predictions for generated samples, complementary to FID:
// `confident` (how many samples look like some digit; blurry few-step samples score low) and `classEntropy`
// (whether all ten digits appear; a collapsed sampler scores low). Plain numbers, no tensors.

export interface ClassifierStats {
  /** Share of samples whose largest class probability is ≥ the threshold (0.9 by default). */
  confident: number;
  /** Entropy (nats) of the histogram of predicted classes; ln 10 ≈ 2.303 when all ten are equally frequent. */
  classEntropy: number;
  /** Share of samples predicted as each class. */
  histogram: number[];
}

/** probs: [n, classes] row-major, each row a probability vector (softmax of the logits). */
export function classifierStats(probs: ArrayLike<number>, classes = 10, threshold = 0.9): ClassifierStats {
  const n = probs.length / classes;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`classifierStats needs rows of ${classes} probabilities, got ${probs.length} values`);
  const counts = new Array<number>(classes).fill(0);
  let confident = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[i * classes + c] > probs[i * classes + best]) best = c;
    counts[best]++;
    if (probs[i * classes + best] >= threshold) confident++;
  }
  const histogram = counts.map((c) => c / n);
  const classEntropy = histogram.reduce((h, p) => (p > 0 ? h - p * Math.log(p) : h), 0);
  return { confident: confident / n, classEntropy, histogram };
}
