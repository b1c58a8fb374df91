#!/usr/bin/env bash
# The main job on the embedded default data: set up, then train the S2 model
# (MLP 100-50 on Fashion-MNIST, SGD lr 0.01, batch 32) for a few epochs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
exec "$root/lrbs" train --dataset fashion-mnist --model mlp-100-50 --optimizer sgd --lr 0.01 --batch-size 32 --epochs 5 --seed 1 "$@"
