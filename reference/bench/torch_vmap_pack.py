#!/usr/bin/env python3
"""PyTorch's own way of training many small models at once, the packing peer of `lrbs bench`:
the K models' parameters stacked (functorch.combine_state_for_ensemble) and one training step of
all K mapped over them with functorch.vmap of functorch.grad; plain SGD, each model with its own
learning rate, its own seed (initial weights) and its own shuffle (each model its own batch of
rows, as lrbs's packed members of different seeds). One intra-op thread, whole epochs.

    python3 torch_vmap_pack.py DATA_DIR MODEL BATCH EPOCHS LR,LR,... SEED,SEED,... EVAL_ROWS

After each epoch every model is evaluated (loss and metric) on EVAL_ROWS rows, 1,024 at a time,
as lrbs evaluates its test rows after each epoch. Prints one JSON line: the wall seconds of
training and evaluating every model for EPOCHS epochs (start-up and data loading excluded), the
models' count and the versions.
"""
import json
import math
import sys
import time

import torch
from functorch import combine_state_for_ensemble, grad, vmap

from torch_eager import load, model_and_loss


def main():
    data_dir, name, batch, epochs, lrs, seeds, eval_rows = sys.argv[1:8]
    batch, epochs, eval_rows = int(batch), int(epochs), int(eval_rows)
    lrs = [float(v) for v in lrs.split(",")]
    seeds = [int(v) for v in seeds.split(",")]
    if len(lrs) != len(seeds):
        sys.exit("one learning rate per seed")
    torch.set_num_threads(1)
    x, y = load(data_dir)
    n = x.shape[0]
    if name != "mlp":
        x = x.view(n, 1, 128, 128)
    models = []
    for s in seeds:
        torch.manual_seed(s)
        m, loss_fn, metric_fn = model_and_loss(name)
        models.append(m)
    fmodel, params, buffers = combine_state_for_ensemble(models)
    params = [p.detach() for p in params]
    k = len(models)
    lr = torch.tensor(lrs)

    def loss_of(p, b, xb, yb):
        return loss_fn(fmodel(p, b, xb), yb)

    step_grad = vmap(grad(loss_of), in_dims=(0, 0, 0, 0))
    outputs = vmap(fmodel, in_dims=(0, 0, None))  # every model on the same rows

    def evaluate():
        total, hits = torch.zeros(k), torch.zeros(k)
        with torch.no_grad():
            for start in range(0, eval_rows, 1024):
                rows = torch.arange(start, min(start + 1024, eval_rows)) % n  # the data's rows, again if it has fewer
                xb, yb = x[rows], y[rows]
                out = outputs(params, buffers, xb)
                for m in range(k):
                    total[m] += loss_fn(out[m], yb) * len(xb)
                    hits[m] += metric_fn(out[m], yb)
        return total, hits
    generators = [torch.Generator().manual_seed(s) for s in seeds]
    per_epoch = math.ceil(n / batch)
    start = time.perf_counter()
    for _ in range(epochs):
        perms = torch.stack([torch.randperm(n, generator=g) for g in generators])  # (K, n)
        for j in range(per_epoch):
            idx = perms[:, j * batch:(j + 1) * batch]  # (K, B): each model its own rows
            grads = step_grad(params, buffers, x[idx], y[idx])
            params = [p - lr.view(-1, *([1] * (p.dim() - 1))) * g for p, g in zip(params, grads)]
        evaluate()
    elapsed = time.perf_counter() - start
    print(json.dumps({"seconds": elapsed, "models": k, "version": f"torch {torch.__version__}, functorch vmap"}))


if __name__ == "__main__":
    main()
