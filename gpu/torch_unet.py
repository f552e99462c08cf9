#!/usr/bin/env python3
"""The UNet of src/model/unet.ts in PyTorch, timed like `halfstep bench`, for a tfjs-vs-PyTorch ratio.

Same architecture, widths, batch sizes and image size as the bench's full plan; fp32 without TF32 (tfjs-webgpu
computes in fp32). Prints one JSON object: parameters (must equal the tfjs bench's `unet.parameters`, which checks
that the two networks are the same), forward_ms_per_image, train_step_ms (MSE + Adam, like the bench),
sampler_ms_per_image (deterministic DDIM, v-parameterization). Every figure is a median of repetitions after
warm-up, fenced by torch.cuda.synchronize().

    python3 gpu/torch_unet.py [--quick] [--device cuda|cpu]
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

GN_EPS = 1e-5


class Res(nn.Module):
    """Res(ci→co): u = conv1(SiLU(GN(x))) + P·e;  u = conv2(SiLU(GN(u)));  x' = skip(x) + u  (unet.ts)."""

    def __init__(self, ci, co, t_dim, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, ci, eps=GN_EPS)
        self.conv1 = nn.Conv2d(ci, co, 3, padding=1)
        self.temb = nn.Linear(t_dim, co)
        self.norm2 = nn.GroupNorm(groups, co, eps=GN_EPS)
        self.conv2 = nn.Conv2d(co, co, 3, padding=1)
        self.skip = nn.Conv2d(ci, co, 1) if ci != co else None

    def forward(self, x, e):  # e = SiLU(time embedding), [B, T]
        u = self.conv1(F.silu(self.norm1(x))) + self.temb(e)[:, :, None, None]
        u = self.conv2(F.silu(self.norm2(u)))
        return (self.skip(x) if self.skip is not None else x) + u


class Attention(nn.Module):
    """One-head self-attention over the H·W positions, residual (unet.ts attnApply)."""

    def __init__(self, c, groups):
        super().__init__()
        self.norm = nn.GroupNorm(groups, c, eps=GN_EPS)
        self.qkv = nn.Linear(c, 3 * c)
        self.proj = nn.Linear(c, c)

    def forward(self, x):
        b, c, h, w = x.shape
        flat = self.norm(x).flatten(2).transpose(1, 2)  # [B, N, C]
        q, k, v = self.qkv(flat).chunk(3, dim=2)  # [B, N, C] each
        weights = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(c), dim=2)  # [B, N, N]
        mixed = self.proj(weights @ v)  # [B, N, C]
        return x + mixed.transpose(1, 2).reshape(b, c, h, w)


class Unet(nn.Module):
    def __init__(self, channels=(32, 64, 64), res_blocks=1, attention=True, groups=8, embed_dim=64, image_channels=1):
        super().__init__()
        c0, c1, c2 = channels
        t = 4 * c0
        self.embed_dim = embed_dim
        self.temb0 = nn.Linear(embed_dim, t)
        self.temb1 = nn.Linear(t, t)
        self.conv_in = nn.Conv2d(image_channels, c0, 3, padding=1)
        stack = lambda ci, co: nn.ModuleList([Res(ci if k == 0 else co, co, t, groups) for k in range(res_blocks)])
        self.down0 = stack(c0, c0)
        self.downsample0 = nn.Conv2d(c0, c0, 3, stride=2, padding=1)
        self.down1 = stack(c0, c1)
        self.downsample1 = nn.Conv2d(c1, c1, 3, stride=2, padding=1)
        self.mid0 = Res(c1, c2, t, groups)
        self.attn = Attention(c2, groups) if attention else None
        self.mid1 = Res(c2, c2, t, groups)
        self.upsample1 = nn.Conv2d(c2, c1, 3, padding=1)
        self.up1 = stack(2 * c1, c1)
        self.upsample0 = nn.Conv2d(c1, c0, 3, padding=1)
        self.up0 = stack(2 * c0, c0)
        self.out_norm = nn.GroupNorm(groups, c0, eps=GN_EPS)
        self.conv_out = nn.Conv2d(c0, image_channels, 3, padding=1)

    def time_embedding(self, t):
        """Sinusoid of 1000·t (layers.ts timeEmbedding): [sin, cos] halves."""
        half = self.embed_dim // 2
        freqs = torch.exp(-math.log(10000) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
        args = (t * 1000)[:, None] * freqs[None, :]
        return torch.cat([torch.sin(args), torch.cos(args)], dim=1)

    def forward(self, z, t):
        e = F.silu(self.temb1(F.silu(self.temb0(self.time_embedding(t)))))
        h = self.conv_in(z)
        for r in self.down0:
            h = r(h, e)
        s0 = h
        h = self.downsample0(h)
        for r in self.down1:
            h = r(h, e)
        s1 = h
        h = self.mid0(self.downsample1(h), e)
        if self.attn is not None:
            h = self.attn(h)
        h = self.mid1(h, e)
        h = torch.cat([self.upsample1(F.interpolate(h, scale_factor=2, mode='nearest')), s1], dim=1)
        for r in self.up1:
            h = r(h, e)
        h = torch.cat([self.upsample0(F.interpolate(h, scale_factor=2, mode='nearest')), s0], dim=1)
        for r in self.up0:
            h = r(h, e)
        return self.conv_out(F.silu(self.out_norm(h)))


def log_snr(t, lmin=-20.0, lmax=20.0):
    b = math.atan(math.exp(-lmax / 2))
    a = math.atan(math.exp(-lmin / 2)) - b
    return -2 * math.log(math.tan(a * t + b))


def alpha_sigma(t):
    lam = log_snr(t)
    return math.sqrt(1 / (1 + math.exp(-lam))), math.sqrt(1 / (1 + math.exp(lam)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--quick', action='store_true', help="the bench's --quick plan")
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    ap.add_argument('--config', help="the UNet as the bench's JSON names it (unetConfig): channels, resBlocks, attention, groups, embedDim")
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device(args.device)
    if args.quick:
        channels, batches, sampler_steps, sampler_batch, reps = (8, 16, 16), [1, 2], [1, 4], 1, 3
    else:
        channels, batches, sampler_steps, sampler_batch, reps = (32, 64, 64), [1, 16, 64], [1, 4, 64], 64, 5
    arch = {'channels': list(channels), 'resBlocks': 1, 'attention': True, 'groups': min(8, channels[0]), 'embedDim': 64}
    warnings = []
    if args.config:
        given = json.loads(args.config)
        unknown = sorted(set(given) - set(arch) - {'arch', 'dropout'})
        if unknown:
            warnings.append(f'ignored unknown config keys {unknown}')
        if given.get('dropout', 0) > 0:
            warnings.append(f"dropout {given['dropout']} not modelled: the PyTorch step runs without it")
        arch.update({k: v for k, v in given.items() if k in arch})
    channels = tuple(arch['channels'])
    torch.manual_seed(0)
    net = Unet(channels, res_blocks=arch['resBlocks'], attention=arch['attention'], groups=arch['groups'], embed_dim=arch['embedDim']).to(dev)

    def sync():
        if dev.type == 'cuda':
            torch.cuda.synchronize()

    def time_ms(run, n=reps):
        run()  # warm-up (cuDNN algorithm choice, allocator)
        sync()
        samples = []
        for _ in range(n):
            t0 = time.perf_counter()
            run()
            sync()
            samples.append((time.perf_counter() - t0) * 1000)
        return statistics.median(samples)

    forward, train = {}, {}
    for b in batches:
        z = torch.randn(b, 1, 28, 28, device=dev)
        target = torch.randn(b, 1, 28, 28, device=dev)
        t = torch.rand(b, device=dev)
        with torch.no_grad():
            forward[str(b)] = round(time_ms(lambda: net(z, t)) / b, 4)
        opt = torch.optim.Adam(net.parameters(), lr=1e-4)

        def step():
            opt.zero_grad(set_to_none=True)
            F.mse_loss(net(z, t), target).backward()
            opt.step()

        train[str(b)] = round(time_ms(step), 4)

    def sample(steps):
        z = torch.randn(sampler_batch, 1, 28, 28, device=dev)
        with torch.no_grad():
            for i in range(steps):
                ts, ss = (steps - i) / steps, (steps - i - 1) / steps
                a_t, s_t = alpha_sigma(ts)
                a_s, s_s = alpha_sigma(ss)
                v = net(z, torch.full((sampler_batch,), ts, device=dev))
                x_hat = a_t * z - s_t * v  # v-parameterization (core/ddimCoefficients.ts)
                eps_hat = s_t * z + a_t * v
                z = x_hat if i == steps - 1 else a_s * x_hat + s_s * eps_hat
        return z

    sampler = {str(s): round(time_ms(lambda s=s: sample(s), min(reps, 3) if s > 8 else reps) / sampler_batch, 4) for s in sampler_steps}
    print(json.dumps({
        'framework': f'pytorch {torch.__version__}',
        'device': torch.cuda.get_device_name(0) if dev.type == 'cuda' else 'cpu',
        'dtype': 'float32 (TF32 off)',
        'config': arch,
        'parameters': sum(p.numel() for p in net.parameters()),
        'forward_ms_per_image': forward,
        'train_step_ms': train,
        'sampler_batch': sampler_batch,
        'sampler_ms_per_image': sampler,
        **({'warnings': warnings} if warnings else {}),
    }))


if __name__ == '__main__':
    main()
