// `halfstep mnist-ref`: the reference statistics of the MNIST test set under a classifier (what FID and KID
// of MNIST samples are measured against). `train-classifier` runs the same step after training.
import { type Command, Option } from 'commander';
import { Rng } from '../../core/rng';
import { MNIST_PIXELS, type MnistSplit } from '../../data/mnist';
import { loadMnist } from '../../data/mnistNode';
import { CheckpointLoadError } from '../../io/checkpoint';
import { CLASSIFIER_FEATURES } from '../../model/classifier';
import { featureStats } from '../../metrics/fid';
import { type LoadedClassifier, ReferenceFileError, classifierOutputs, loadClassifier, serializeReferenceStats } from '../../metrics/mnistReference';
import { type BackendFlags, backendOption, startBackend, threadsOption } from '../backendOption';
import { readBytes } from '../checkpointFile';
import { CliError } from '../cliError';
import { checkOutputFile, writeFileAtomic } from '../outputs';
import { positiveInt, seed } from '../options';
import { MNIST_CLASSIFIER, MNIST_REFERENCE_OUT } from '../datasets';

/** Reference features kept for KID: 2,000 of the 10,000 test images (KID subsets are 1,000 rows). */
export const KID_REFERENCE_COUNT = 2000;

export interface ReferenceSummary {
  out: string;
  count: number;
  /** Share of the test set the classifier gets right (from the same forward pass). */
  testAccuracy: number;
}

/** Features of the whole test set → mean, covariance and a seeded sample of rows, written to `out`. */
export async function writeReferenceStats(loaded: LoadedClassifier, test: MnistSplit, out: string, kidCount = KID_REFERENCE_COUNT, seed = 0): Promise<ReferenceSummary> {
  const { features, probs } = await classifierOutputs(loaded.classifier, test.images.subarray(0, test.count * MNIST_PIXELS));
  let correct = 0;
  for (let i = 0; i < test.count; i++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (probs[i * 10 + c] > probs[i * 10 + best]) best = c;
    if (best === test.labels[i]) correct++;
  }
  const stats = featureStats(features, CLASSIFIER_FEATURES);
  // A seeded sample of the rows, without replacement.
  const rows = new Rng(seed).choose(test.count, Math.min(kidCount, test.count));
  const sample = new Float32Array(rows.length * CLASSIFIER_FEATURES);
  rows.forEach((r, i) => sample.set(features.subarray(r * CLASSIFIER_FEATURES, (r + 1) * CLASSIFIER_FEATURES), i * CLASSIFIER_FEATURES));
  await writeFileAtomic(out, serializeReferenceStats({ stats, features: sample, classifierHash: loaded.hash, source: 'mnist-test' }));
  return { out, count: test.count, testAccuracy: correct / test.count };
}

export async function readClassifierFile(file: string): Promise<LoadedClassifier> {
  const bytes = await readBytes(file);
  try {
    return loadClassifier(bytes);
  } catch (e) {
    if (e instanceof ReferenceFileError || e instanceof CheckpointLoadError) throw new CliError(`${file}: ${e.message}`, 2);
    throw e;
  }
}

interface MnistRefOpts extends BackendFlags {
  classifier: string;
  out: string;
  kid: number;
  seed: number;
  json?: boolean;
  force?: boolean;
}

export function register(program: Command): void {
  program
    .command('mnist-ref')
    .description('compute the MNIST test set\'s feature statistics (mean, covariance, KID sample) under a classifier')
    .addOption(new Option('--classifier <file>', 'classifier weights').default(MNIST_CLASSIFIER, 'the shipped classifier, models/mnist/classifier.safetensors'))
    .addOption(new Option('--out <file>', 'statistics to write').default(MNIST_REFERENCE_OUT, 'the shipped statistics, models/mnist/reference-stats.safetensors'))
    .option('--kid <k>', 'feature rows kept for KID', positiveInt, KID_REFERENCE_COUNT)
    .option('--seed <s>', 'seed of the KID sample', seed, 0)
    .option('--force', 'replace an existing --out (the default is the shipped statistics behind every FID)')
    .addOption(backendOption())
    .addOption(threadsOption())
    .option('--json', 'print the result as JSON')
    .action(async (opts: MnistRefOpts) => {
      await checkOutputFile(opts.out, { inputs: [opts.classifier], refuseExisting: opts.force ? undefined : 'pass --force to replace it, or choose another --out' });
      await startBackend(opts, opts.json);
      const loaded = await readClassifierFile(opts.classifier);
      const summary = await writeReferenceStats(loaded, loadMnist('test'), opts.out, opts.kid, opts.seed);
      loaded.classifier.dispose();
      process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : `wrote ${summary.out}: ${summary.count} test images, classifier accuracy ${(100 * summary.testAccuracy).toFixed(2)}%\n`);
    });
}
