#!/usr/bin/env bash
# Writes results/rerun-reference: one short trial per model kind, each trained alone on one
# thread (tests/Lrbs.Tests/RerunTests.fs trains each again and compares every epoch bit for bit).
# Rerun it only when the arithmetic changes on purpose, from a clean commit, and say why in that
# commit: the folder is the proof that refactoring changed no number. Bits reproduce on the
# OpenBLAS kernel family a trial ran on only, so each family has its folder (the test compares
# with the one of its machine's family): results/rerun-reference (Cooperlake) and
# results/rerun-reference-zen (Zen); `./lrbs results query DIR "SELECT DISTINCT blas FROM trials"`.
#   LRBS=./lrbs scripts/rerun-reference.sh [OUT]      (OUT: results/rerun-reference by default)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
lrbs="${LRBS:-./lrbs}"
out="${1:-results/rerun-reference}"
[[ -d data/rerun-shapes-3 ]] || "$lrbs" data shapes data/rerun-shapes-3 --classes 3 --per-class 40
[[ -d data/rerun-shapes-8 ]] || "$lrbs" data shapes data/rerun-shapes-8 --classes 8 --per-class 40
common=(--epochs 2 --threads 1 --seed 3 --out "$out")
"$lrbs" train --dataset fashion-mnist --model mlp-100-50 --train-limit 2000 --optimizer sgd --momentum 0.9 --lr 0.05 --batch-size 32 "${common[@]}"
"$lrbs" train --dataset fashion-mnist --model cnn-small --train-limit 1000 --optimizer adam --lr 0.001 --batch-size 32 "${common[@]}"
"$lrbs" train --dataset boxes --model cnn-box --train-limit 512 --split 80/10/10 --optimizer sgd --lr 0.01 --batch-size 16 "${common[@]}"
"$lrbs" train --dataset image-folder --data-dir data/rerun-shapes-3 --model cnn-animals --optimizer adam --lr 0.001 --batch-size 8 "${common[@]}"
"$lrbs" train --dataset image-folder --data-dir data/rerun-shapes-8 --model cnn-traffic --optimizer sgd --lr 0.01 --batch-size 16 "${common[@]}"
