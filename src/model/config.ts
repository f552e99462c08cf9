// ModelConfig: everything needed to rebuild a network and its diffusion process from a checkpoint.
// JSON-serializable; validated with zod wherever it crosses a trust boundary (checkpoint metadata, URLs).
import { z } from 'zod';

export const scheduleSchema = z.object({
  kind: z.literal('cosine'),
  logSnrMin: z.number().min(-40).max(0),
  logSnrMax: z.number().min(0).max(40),
}).strict();

export const parameterizationSchema = z.enum(['v', 'x', 'eps']);

const toy2dData = z.object({
  kind: z.literal('toy2d'),
  /** Which toy set the model was trained on (informational; the network only sees 2D points). */
  name: z.string().max(64),
}).strict();

const imageData = z.object({
  kind: z.literal('image'),
  height: z.number().int().min(4).max(256),
  width: z.number().int().min(4).max(256),
  channels: z.union([z.literal(1), z.literal(3)]),
  name: z.string().max(64),
}).strict();

export const dataSpecSchema = z.discriminatedUnion('kind', [toy2dData, imageData]);

export const mlpSchema = z.object({
  arch: z.literal('mlp'),
  /** Width of the hidden layers: 128 learns the 2D toy sets in a few thousand CPU steps. */
  hidden: z.number().int().min(1).max(4096),
  /** Number of hidden residual blocks. */
  blocks: z.number().int().min(1).max(64),
  /** Size of the sinusoidal time embedding. */
  embedDim: z.number().int().min(2).max(1024).multipleOf(2),
}).strict();

export const unetSchema = z.object({
  arch: z.literal('unet'),
  /** Channels at full, 1/2 and 1/4 resolution: 32/64/64 is the 0.5M-parameter MNIST net. */
  channels: z.array(z.number().int().min(1).max(1024)).length(3),
  resBlocks: z.number().int().min(1).max(8),
  /** Self-attention at the lowest resolution. */
  attention: z.boolean(),
  groups: z.number().int().min(1).max(64),
  embedDim: z.number().int().min(2).max(2048).multipleOf(2),
  dropout: z.number().min(0).max(0.9),
}).strict();

export const networkSchema = z.discriminatedUnion('arch', [mlpSchema, unetSchema]);

export const modelConfigSchema = z.object({
  network: networkSchema,
  data: dataSpecSchema,
  parameterization: parameterizationSchema,
  schedule: scheduleSchema,
  /** Networks are conditioned on continuous t, never on a step index, so every student shares its teacher's embedding. */
  conditioning: z.literal('t'),
}).strict().superRefine((cfg, ctx) => {
  // λ must span an interval: at logSnrMin = logSnrMax (both 0) α = σ at every t, DDIM never moves and the
  // distillation target's denominator α'' - (σ''/σ)·α is 0.
  if (cfg.schedule.logSnrMin >= cfg.schedule.logSnrMax) ctx.addIssue({ code: 'custom', message: `schedule logSnrMin must be below logSnrMax, got ${cfg.schedule.logSnrMin} and ${cfg.schedule.logSnrMax}` });
  if (cfg.network.arch === 'mlp' && cfg.data.kind !== 'toy2d') ctx.addIssue({ code: 'custom', message: 'an mlp network needs toy2d data' });
  if (cfg.network.arch === 'unet') {
    if (cfg.data.kind !== 'image') ctx.addIssue({ code: 'custom', message: 'a unet network needs image data' });
    else if (cfg.data.height % 4 !== 0 || cfg.data.width % 4 !== 0) ctx.addIssue({ code: 'custom', message: `unet image size must be divisible by 4, got ${cfg.data.height}x${cfg.data.width}` });
    const g = cfg.network.groups;
    if (cfg.network.channels.some((c) => c % g !== 0)) ctx.addIssue({ code: 'custom', message: `every unet channel count must be divisible by groups=${g}` });
  }
});

export type ModelConfig = z.infer<typeof modelConfigSchema>;
export type NetworkConfig = z.infer<typeof networkSchema>;
export type MlpConfig = z.infer<typeof mlpSchema>;
export type UnetConfig = z.infer<typeof unetSchema>;
export type DataSpec = z.infer<typeof dataSpecSchema>;

/** Number of values per sample: 2 for toy data, H·W·C for images. */
export function sampleDim(data: DataSpec): number {
  return data.kind === 'toy2d' ? 2 : data.height * data.width * data.channels;
}

/** Shape of one sample, without the batch axis: [2] or [H, W, C]. */
export function sampleShape(data: DataSpec): number[] {
  return data.kind === 'toy2d' ? [2] : [data.height, data.width, data.channels];
}

/** Whether a training forward pass draws random dropout masks (a step then depends on more than its batch). */
export function usesDropout(config: ModelConfig): boolean {
  return config.network.arch === 'unet' && config.network.dropout > 0;
}
