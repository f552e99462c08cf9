// A residual MLP denoiser for 2D points, conditioned on t through a sinusoidal embedding.
//   h = W_in·z;  e = MLP(sinusoid(t));  per block: h += W₂·SiLU(W₁·SiLU(h) + P·e);  out = W_out·SiLU(h)
import * as tf from '@tensorflow/tfjs';
import type { MlpConfig, ModelConfig } from './config';
import { ParamBuilder, dense, disposeParams, silu, timeEmbedding } from './layers';
import type { ApplyOptions, Network } from './network';

export function createMlp(config: ModelConfig, seed: number, weights?: ReadonlyMap<string, Float32Array>): Network {
  const net = config.network as MlpConfig;
  if (net.arch !== 'mlp') throw new Error('createMlp needs an mlp config');
  const { hidden, blocks, embedDim } = net;
  const p = new ParamBuilder(seed, weights);
  const inW = p.weight('in.weight', [2, hidden], 0.5);
  const inB = p.constant('in.bias', [hidden], 0);
  const t1W = p.weight('temb.0.weight', [embedDim, hidden]);
  const t1B = p.constant('temb.0.bias', [hidden], 0);
  const t2W = p.weight('temb.1.weight', [hidden, hidden]);
  const t2B = p.constant('temb.1.bias', [hidden], 0);
  const blockParams = Array.from({ length: blocks }, (_, i) => ({
    w1: p.weight(`blocks.${i}.fc1.weight`, [hidden, hidden]),
    b1: p.constant(`blocks.${i}.fc1.bias`, [hidden], 0),
    pw: p.weight(`blocks.${i}.temb.weight`, [hidden, hidden]),
    pb: p.constant(`blocks.${i}.temb.bias`, [hidden], 0),
    // Small last layer per block keeps the residual stream near identity at init.
    w2: p.weight(`blocks.${i}.fc2.weight`, [hidden, hidden], 0.1),
    b2: p.constant(`blocks.${i}.fc2.bias`, [hidden], 0),
  }));
  const outW = p.weight('out.weight', [hidden, 2], 0.1);
  const outB = p.constant('out.bias', [2], 0);
  const params = p.params;

  return {
    config,
    params,
    apply(z: tf.Tensor, t: tf.Tensor1D, _opts?: ApplyOptions): tf.Tensor {
      return tf.tidy(() => {
        const e = dense(silu(dense(timeEmbedding(t, embedDim), t1W, t1B)) as tf.Tensor2D, t2W, t2B); // [B, hidden]
        let h = dense(z as tf.Tensor2D, inW, inB); // [B, hidden]
        for (const b of blockParams) {
          const u = tf.add(dense(silu(h) as tf.Tensor2D, b.w1, b.b1), dense(silu(e) as tf.Tensor2D, b.pw, b.pb));
          h = tf.add(h, dense(silu(u) as tf.Tensor2D, b.w2, b.b2));
        }
        return dense(silu(h) as tf.Tensor2D, outW, outB); // [B, 2]
      });
    },
    dispose: () => disposeParams(params),
  };
}
