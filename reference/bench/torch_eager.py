#!/usr/bin/env python3
"""PyTorch eager peer of `lrbs bench` (see README.md): one JSON line on stdout."""
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn


def load(data_dir):
    meta = json.load(open(os.path.join(data_dir, "meta.json")))
    n, shape = meta["rows"], meta["shape"]
    x = np.fromfile(os.path.join(data_dir, "x.u8"), dtype=np.uint8).reshape([n] + shape).astype(np.float32) * np.float32(meta["scale"])
    if meta["targets"] == "classes":
        y = torch.from_numpy(np.fromfile(os.path.join(data_dir, "y.bin"), dtype=np.int64))
    else:
        y = torch.from_numpy(np.fromfile(os.path.join(data_dir, "y.bin"), dtype=np.float32).reshape(n, -1))
    return torch.from_numpy(x), y


def model_and_loss(name):
    if name == "mlp":
        m = nn.Sequential(nn.Flatten(), nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 50), nn.ReLU(), nn.Linear(50, 10))
        ce = nn.CrossEntropyLoss()
        return m, ce, lambda out, y: (out.argmax(1) == y).sum()
    if name == "bncnn":
        # S5's network (lrbs cnn-traffic) with BatchNormalization after each convolution, Keras order
        # (conv, relu, then batch norm; Keras's momentum 0.99 is PyTorch's 0.01, epsilon 1e-3)
        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3), nn.ReLU(), nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01), nn.MaxPool2d(2)]
        m = nn.Sequential(*block(1, 32), *block(32, 32), *block(32, 64), nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(64, 10))
        return m, nn.CrossEntropyLoss(), lambda out, y: (out.argmax(1) == y).sum()
    m = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 4, 3, padding=1),
                      nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1024, 16), nn.ReLU(), nn.Linear(16, 4))

    def iou(p, t):
        iw = (torch.minimum(p[:, 2], t[:, 2]) - torch.maximum(p[:, 0], t[:, 0])).clamp(min=0)
        ih = (torch.minimum(p[:, 3], t[:, 3]) - torch.maximum(p[:, 1], t[:, 1])).clamp(min=0)
        inter = iw * ih
        area = lambda b: (b[:, 2] - b[:, 0]).clamp(min=0) * (b[:, 3] - b[:, 1]).clamp(min=0)
        return inter / (area(p) + area(t) - inter + 1e-7)

    return m, (lambda out, y: 1 - iou(out, y).mean()), (lambda out, y: iou(out, y).sum())


def main():
    data_dir, name, opt_name, lr, batch, steps = sys.argv[1:7]
    lr, batch, steps = float(lr), int(batch), int(steps)
    torch.set_num_threads(1)
    torch.manual_seed(1)
    x, y = load(data_dir)
    n = x.shape[0]
    if name == "bncnn":
        x = x.view(n, 1, 28, 28)
    elif name != "mlp":
        x = x.view(n, 1, 128, 128)
    model, loss_fn, metric_fn = model_and_loss(name)
    opt = torch.optim.SGD(model.parameters(), lr=lr) if opt_name == "sgd" else torch.optim.Adam(model.parameters(), lr=lr, eps=1e-7)
    per_epoch = math.ceil(n / batch)
    warmup = 10
    perm = torch.randperm(n)
    total, hits = torch.zeros(()), torch.zeros(())
    start = None
    for i in range(warmup + steps):
        if i == warmup:
            start = time.perf_counter()
        j = i % per_epoch
        if j == 0:
            perm = torch.randperm(n)
        idx = perm[j * batch:(j + 1) * batch]
        xb, yb = x[idx], y[idx]
        opt.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        opt.step()
        with torch.no_grad():
            total += loss.detach() * len(idx)
            hits += metric_fn(out.detach(), yb)
    elapsed = time.perf_counter() - start
    print(json.dumps({"seconds_per_epoch": elapsed / steps * per_epoch, "steps": steps, "version": f"torch {torch.__version__} eager"}))


if __name__ == "__main__":
    main()
