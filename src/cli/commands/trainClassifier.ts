// `halfstep train-classifier`: trains the MNIST classifier whose features define FID and KID, checks its
// test accuracy, writes it (F16 when rounding costs no accuracy), then writes the test set's reference statistics.
import { type Command, Option } from 'commander';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { EpochSampler, type MnistSplit, gatherImages } from '../../data/mnist';
import { loadMnist } from '../../data/mnistNode';
import { createClassifier } from '../../model/classifier';
import { classifierOutputs, classifierWeights, loadClassifier, serializeClassifier } from '../../metrics/mnistReference';
import { Trainer } from '../../train/trainer';
import { type BackendFlags, backendOption, startBackend, threadsOption } from '../backendOption';
import { CliError } from '../cliError';
import { checkOutputFile, writeFileAtomic } from '../outputs';
import { positiveInt, positiveNumber, seed } from '../options';
import { MNIST_CLASSIFIER_OUT } from '../datasets';
import { progressBar } from '../progress';
import { writeReferenceStats } from './mnistRef';

interface TrainClassifierOpts extends BackendFlags {
  out: string;
  stats?: string;
  iters: number;
  batch: number;
  lr: number;
  seed: number;
  dtype: 'auto' | 'f16' | 'f32';
  json?: boolean;
  force?: boolean;
}

/** F16 is kept when it loses at most this much test accuracy (5 of 10,000 images). */
const F16_ACCURACY_SLACK = 5e-4;

function accuracy(probs: Float32Array, labels: Uint8Array): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (probs[i * 10 + c] > probs[i * 10 + best]) best = c;
    if (best === labels[i]) correct++;
  }
  return correct / labels.length;
}

async function testAccuracy(bytes: Uint8Array, test: MnistSplit): Promise<number> {
  const { classifier } = loadClassifier(bytes);
  const { probs } = await classifierOutputs(classifier, test.images);
  classifier.dispose();
  return accuracy(probs, test.labels);
}

export function register(program: Command): void {
  program
    .command('train-classifier')
    .description('train the MNIST classifier behind FID/KID, then write the test set\'s reference statistics next to it')
    .addOption(new Option('--out <file>', 'classifier weights to write').default(MNIST_CLASSIFIER_OUT, 'the shipped classifier, models/mnist/classifier.safetensors'))
    .option('--stats <file>', 'reference statistics to write (default: reference-stats.safetensors beside --out)')
    .option('--iters <k>', 'training iterations', positiveInt, 1500)
    .option('--batch <b>', 'batch size', positiveInt, 128)
    .option('--lr <lr>', 'Adam learning rate (50 warm-up steps, then linear decay to 0)', positiveNumber, 2e-3)
    .option('--seed <s>', 'seed for init, data order and dropout', seed, 0)
    .option('--force', 'replace existing files (the defaults are the shipped classifier and statistics behind every FID)')
    .addOption(new Option('--dtype <d>', 'weights dtype; auto: F16 unless it costs test accuracy').choices(['auto', 'f16', 'f32']).default('auto'))
    .addOption(backendOption())
    .addOption(threadsOption())
    .option('--json', 'print the result as JSON')
    .action(async (opts: TrainClassifierOpts) => {
      const statsOut = opts.stats ?? join(dirname(opts.out), 'reference-stats.safetensors');
      await checkOutputFile(opts.out, { refuseExisting: opts.force ? undefined : 'pass --force to replace it, or choose another --out' });
      await checkOutputFile(statsOut, { inputs: [opts.out], refuseExisting: opts.force ? undefined : 'pass --force to replace it, or choose another --stats' });
      const backend = await startBackend(opts, opts.json);
      const train = loadMnist('train');
      const test = loadMnist('test');
      const net = createClassifier(opts.seed);
      const sampler = new EpochSampler(train.count, opts.seed);
      const started = performance.now();
      const bar = progressBar('train-classifier', opts.iters);
      const trainer = new Trainer(net.params, {
        iterations: opts.iters, learningRate: opts.lr, schedule: 'linear-decay', warmup: 50,
        // Adam normalises step sizes anyway; the clip only guards the first steps.
        clipNorm: 10, reportEvery: 50,
        onReport: (r) => {
          bar.update(r.step, { loss: r.loss });
          if (!process.stderr.isTTY && !opts.json && r.step % 250 === 0) process.stderr.write(`step ${r.step}/${opts.iters} loss ${r.loss.toFixed(4)} (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
        },
      });
      const result = await trainer.run(
        () => {
          const idx = sampler.next(opts.batch);
          const x = tf.tensor4d(gatherImages(train, idx), [opts.batch, 28, 28, 1]);
          const y = tf.oneHot(tf.tensor1d(Array.from(idx, (i) => train.labels[i]), 'int32'), 10);
          return { x, y };
        },
        ({ x, y }, step) => tf.losses.softmaxCrossEntropy(y, net.apply(x, { training: true, seed: opts.seed * 1_000_003 + step }).logits) as tf.Scalar,
      );
      bar.stop();
      trainer.dispose();
      if (result.stopped === 'nonfinite') throw new CliError(`training stopped: non-finite loss at step ${result.nonFiniteStep}; nothing was written`, 1);
      const weights = await classifierWeights(net);
      net.dispose();
      const trainSeconds = (performance.now() - started) / 1000;

      const info = (acc: number) => ({ testAccuracy: acc, iterations: result.steps, seed: opts.seed });
      const f32Accuracy = await testAccuracy(serializeClassifier(weights, info(0), 'F32'), test);
      let dtype: 'F16' | 'F32' = opts.dtype === 'f32' ? 'F32' : 'F16';
      let finalAccuracy = f32Accuracy;
      if (dtype === 'F16') {
        const f16Accuracy = await testAccuracy(serializeClassifier(weights, info(0), 'F16'), test);
        if (opts.dtype === 'auto' && f16Accuracy < f32Accuracy - F16_ACCURACY_SLACK) dtype = 'F32';
        else finalAccuracy = f16Accuracy;
      }
      const bytes = serializeClassifier(weights, info(finalAccuracy), dtype);
      await writeFileAtomic(opts.out, bytes);

      // The statistics come from the weights as written (after F16 rounding), and name their hash.
      const loaded = loadClassifier(bytes);
      await writeReferenceStats(loaded, test, statsOut);
      loaded.classifier.dispose();

      const summary = {
        out: opts.out, stats: statsOut, dtype, testAccuracy: finalAccuracy, f32TestAccuracy: f32Accuracy,
        iterations: result.steps, finalLoss: result.finalLoss, backend: backend.name, trainSeconds,
        classifierHash: loaded.hash, testImages: test.count,
      };
      process.stdout.write(opts.json
        ? `${JSON.stringify(summary)}\n`
        : `wrote ${opts.out} (${dtype}): test accuracy ${(100 * finalAccuracy).toFixed(2)}% after ${result.steps} iterations in ${trainSeconds.toFixed(0)} s on ${backend.name}; statistics in ${statsOut}\n`);
    });
}
