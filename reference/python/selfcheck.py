#!/usr/bin/env python3
"""Self-check of run_case.py, the float64 oracle (reference/CASES.md).

    python3 reference/python/selfcheck.py

Writes small random cases (case.json and float32 .npy files, as lrbs parity writes them) in a
temporary folder and checks

  * every layer's analytic gradient, as answer() reports it, against central finite differences
    of the oracle's own loss in float64: dense and conv2d with each activation, conv2d with both
    paddings and strides 1 and 2 on even and odd inputs, each pool, the global average pool and
    batch_norm (after conv2d, after dense, on the input); each trainable weight's relative error
    ||analytic - numeric|| / max(||numeric||, 1e-3 ||whole numeric gradient||) must be under 1e-6;
  * that adamw with weight_decay 0 answers as adam, and sgd with weight_decay 0 as sgd without it;
  * one step of each optimizer, and the moving statistics, against the rule written out by hand.

One line per check; the exit status is 1 when any fails.
"""
import json
import math
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_case as rc  # noqa: E402

TOL = 1e-6
failures = []


def report(name, ok, detail):
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    if not ok:
        failures.append(name)


# ---- case writing ----
def layer_weights(layer, shape, rng, index):
    """The layer's output shape and its weights [(name, role, array)]."""
    t = layer["type"]
    if t == "dense":
        fan_in = shape[-1]
        return (layer["units"],), [(f"dense{index}/kernel", "kernel", rng.normal(0, 1 / math.sqrt(fan_in), (fan_in, layer["units"]))),
                                   (f"dense{index}/bias", "bias", rng.normal(0, 0.1, layer["units"]))]
    if t == "conv2d":
        h, w, c = shape
        k, s, f = layer["kernel"], layer["stride"], layer["filters"]
        oh, ow = ((-(-h // s), -(-w // s)) if layer["padding"] == "same" else ((h - k) // s + 1, (w - k) // s + 1))
        return (oh, ow, f), [(f"conv{index}/kernel", "kernel", rng.normal(0, 1 / math.sqrt(k * k * c), (k, k, c, f))),
                             (f"conv{index}/bias", "bias", rng.normal(0, 0.1, f))]
    if t in ("max_pool2d", "average_pool2d"):
        p = layer["pool"]
        return (shape[0] // p, shape[1] // p, shape[2]), []
    if t == "global_average_pool2d":
        return (shape[2],), []
    if t == "flatten":
        return (int(np.prod(shape)),), []
    if t == "batch_norm":
        c = shape[-1]
        return shape, [(f"batch_norm{index}/gamma", "gamma", 1 + rng.normal(0, 0.2, c)),
                       (f"batch_norm{index}/beta", "beta", rng.normal(0, 0.2, c)),
                       (f"batch_norm{index}/moving_mean", "moving_mean", rng.normal(0, 0.2, c)),
                       (f"batch_norm{index}/moving_variance", "moving_variance", rng.uniform(0.5, 1.5, c))]
    raise ValueError(t)


def write_case(folder, layers, input_shape, loss, optimizer, rng, steps=1, n=4, lrs=None):
    os.makedirs(folder, exist_ok=True)
    shape, weights = tuple(input_shape), []
    for i, layer in enumerate(layers):
        shape, ws = layer_weights(layer, shape, rng, i)
        weights += ws
    entries = []
    for k, (name, role, a) in enumerate(weights):
        np.save(os.path.join(folder, f"w{k}.npy"), np.asarray(a, dtype="<f4"))
        entries.append({"name": name, "shape": list(np.shape(a)), "file": f"w{k}.npy", "role": role,
                        "trainable": role not in rc.MOVING})
    k_out = shape[-1]
    batches = []
    for i in range(steps):
        x = rng.normal(0, 1, (n,) + tuple(input_shape))
        if loss.startswith("binary"):
            y = (rng.uniform(size=(n, k_out)) < 0.5).astype(float)
        else:
            y = np.eye(k_out)[rng.integers(0, k_out, n)]
        np.save(os.path.join(folder, f"x{i}.npy"), x.astype("<f4"))
        np.save(os.path.join(folder, f"y{i}.npy"), y.astype("<f4"))
        batches.append({"x": f"x{i}.npy", "y": f"y{i}.npy"})
    case = {"name": os.path.basename(folder), "model": {"input": list(input_shape), "layers": layers}, "loss": loss,
            "optimizer": optimizer, "learning_rates": lrs or [0.01] * steps, "weights": entries, "batches": batches}
    with open(os.path.join(folder, "case.json"), "w") as f:
        json.dump(case, f, indent=1)
    return case


def loaded(folder):
    c = rc.read_case(folder)
    params = [rc.load(folder, w["file"]) for w in c["weights"]]
    b = c["batches"][0]
    return c, params, rc.load(folder, b["x"]), rc.load(folder, b["y"])


# ---- gradient checks ----
def gradient_check(root, name, layers, input_shape, loss="categorical_crossentropy_logits", seed=0, h=1e-5):
    folder = os.path.join(root, name.replace(" ", "_").replace("/", "_"))
    write_case(folder, layers, input_shape, loss, {"name": "sgd", "momentum": 0.0, "nesterov": False, "pytorch_form": 0,
                                                   "weight_decay": 0.0}, np.random.default_rng(seed))
    c, params, x, y = loaded(folder)
    analytic = {g["name"]: np.array(g["values"]) for g in rc.answer(folder)["gradients"]}
    trainable = [k for k, w in enumerate(c["weights"]) if w["trainable"]]
    if sorted(analytic) != sorted(c["weights"][k]["name"] for k in trainable):
        report(name, False, f"gradients named {sorted(analytic)}, not the trainable weights")
        return
    f = lambda: rc.forward_backward(c["model"]["layers"], params, x, y, loss)[0]
    numeric = {}
    for k in trainable:
        p, num = params[k], np.zeros(params[k].size)
        flat = p.reshape(-1)
        for j in range(flat.size):
            keep = flat[j]
            flat[j] = keep + h
            up = f()
            flat[j] = keep - h
            down = f()
            flat[j] = keep
            num[j] = (up - down) / (2 * h)
        numeric[c["weights"][k]["name"]] = num
    # A weight whose gradient is 0 in exact arithmetic (a bias just before batch_norm) is measured against
    # 1e-3 of the whole gradient's norm instead of its own.
    whole = math.sqrt(sum(float((n * n).sum()) for n in numeric.values()))
    worst = max(np.linalg.norm(analytic[name] - num) / max(np.linalg.norm(num), 1e-3 * whole) for name, num in numeric.items())
    report(name, worst < TOL, f"worst relative error {worst:.2e} over {len(trainable)} weights")


ACTIVATIONS = [("linear", {}), ("relu", {}), ("sigmoid", {}), ("tanh", {}), ("leaky_relu", {"alpha": 0.2}),
               ("elu", {"alpha": 0.7}), ("gelu", {})]


def dense(units, activation="linear", **extra):
    return {"type": "dense", "units": units, "activation": activation, **extra}


def conv(filters, kernel=3, stride=1, padding="same", activation="linear", **extra):
    return {"type": "conv2d", "filters": filters, "kernel": kernel, "stride": stride, "padding": padding,
            "activation": activation, **extra}


FLAT = {"type": "flatten"}


def gradient_checks(root):
    for act, extra in ACTIVATIONS:
        gradient_check(root, f"dense {act}", [dense(5, act, **extra), dense(3)], [6])
    for act, extra in ACTIVATIONS:
        gradient_check(root, f"conv2d {act}", [conv(3, activation=act, **extra), FLAT, dense(3)], [5, 5, 2])
    for padding in ("same", "valid"):
        for stride in (1, 2):
            for size in (7, 8):
                gradient_check(root, f"conv2d {padding} stride {stride} input {size}",
                               [conv(3, 3, stride, padding, "tanh"), conv(2, 2, stride, padding), FLAT, dense(3)], [size, size, 2])
    gradient_check(root, "max_pool2d 2 (input 7, remainder dropped)",
                   [conv(3, activation="relu"), {"type": "max_pool2d", "pool": 2}, FLAT, dense(3)], [7, 7, 2])
    gradient_check(root, "max_pool2d 3", [conv(2), {"type": "max_pool2d", "pool": 3}, FLAT, dense(3)], [6, 6, 2])
    gradient_check(root, "average_pool2d 2 (input 7, remainder dropped)",
                   [conv(3, activation="gelu"), {"type": "average_pool2d", "pool": 2}, FLAT, dense(3)], [7, 7, 2])
    gradient_check(root, "average_pool2d 3", [conv(2), {"type": "average_pool2d", "pool": 3}, FLAT, dense(3)], [6, 6, 2])
    gradient_check(root, "global_average_pool2d", [conv(4, activation="elu", alpha=1.0), {"type": "global_average_pool2d"}, dense(3)], [5, 6, 2])
    bn = {"type": "batch_norm", "momentum": 0.9, "epsilon": 1e-3}
    gradient_check(root, "batch_norm after conv2d", [conv(3), bn, {"type": "max_pool2d", "pool": 2}, FLAT, dense(3)], [6, 6, 2])
    gradient_check(root, "batch_norm after dense", [dense(5), bn, dense(4, "relu"), dense(3)], [6], seed=1)
    gradient_check(root, "batch_norm on the input", [bn, conv(2, stride=2), {"type": "global_average_pool2d"}, dense(3)], [6, 6, 3])
    gradient_check(root, "softmax + categorical_crossentropy", [dense(5, "tanh"), dense(3, "softmax")], [6], "categorical_crossentropy")
    gradient_check(root, "sigmoid + binary_crossentropy", [dense(5, "gelu"), dense(3, "sigmoid")], [6], "binary_crossentropy")
    gradient_check(root, "sigmoid + binary_crossentropy_logits", [conv(2), FLAT, dense(3, "sigmoid")], [4, 4, 1], "binary_crossentropy_logits")


# ---- optimizer checks ----
SMALL = [conv(3, activation="relu"), {"type": "batch_norm", "momentum": 0.8, "epsilon": 1e-3}, {"type": "average_pool2d", "pool": 2},
         FLAT, dense(3)]


def run(root, name, optimizer, steps=3, seed=5, layers=SMALL):
    folder = os.path.join(root, name)
    write_case(folder, layers, [6, 6, 2], "categorical_crossentropy_logits", optimizer, np.random.default_rng(seed),
               steps=steps, lrs=[0.05, 0.02, 0.03][:steps])
    return folder, rc.answer(folder)


def same_answer(a, b):
    return max(max(abs(u - v) for u, v in zip(x["values"], y["values"])) for x, y in zip(a["weights"] + a["gradients"], b["weights"] + b["gradients"]))


def optimizer_checks(root):
    for placement in (0, 1):
        adam = {"name": "adam", "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-7, "bias_corrected": placement}
        _, a = run(root, f"adam_{placement}", adam)
        _, w = run(root, f"adamw0_{placement}", {**adam, "name": "adamw", "weight_decay": 0.0})
        d = same_answer(a, w)
        report(f"adamw weight_decay 0 = adam ({placement})", d == 0.0 and a["losses"] == w["losses"], f"max difference {d:.1e}")
    for form, mu, nesterov in (("keras", 0.0, False), ("keras", 0.9, True), ("pytorch", 0.9, False)):
        sgd = {"name": "sgd", "momentum": mu, "nesterov": nesterov, "pytorch_form": int(form == "pytorch")}
        _, a = run(root, f"sgd_{form}_{mu}", sgd)
        _, w = run(root, f"sgd0_{form}_{mu}", {**sgd, "weight_decay": 0.0})
        d = same_answer(a, w)
        report(f"sgd weight_decay 0 = sgd ({form}, momentum {mu}, nesterov {nesterov})", d == 0.0, f"max difference {d:.1e}")

    # One step of each rule written out by hand, from the step-0 gradients the oracle reports.
    lr = 0.05
    rules = {
        "sgd keras momentum, weight_decay": ({"name": "sgd", "momentum": 0.9, "nesterov": False, "pytorch_form": 0, "weight_decay": 0.1},
                                             lambda w, g: w * (1 - lr * 0.1) - lr * g),
        "adamw keras placement": ({"name": "adamw", "beta1": 0.9, "beta2": 0.99, "epsilon": 1e-7, "bias_corrected": 0, "weight_decay": 0.1},
                                  lambda w, g: w * (1 - lr * 0.1) - lr * math.sqrt(1 - 0.99) / (1 - 0.9) * (0.1 * g) / (np.sqrt(0.01 * g * g) + 1e-7)),
        "rmsprop": ({"name": "rmsprop", "rho": 0.9, "momentum": 0.5, "epsilon": 1e-7, "centered": False, "weight_decay": 0.1},
                    lambda w, g: w * (1 - lr * 0.1) - lr * g / np.sqrt(0.1 * g * g + 1e-7)),
        "rmsprop centered": ({"name": "rmsprop", "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": True, "weight_decay": 0.0},
                             lambda w, g: w - lr * g / np.sqrt(0.1 * g * g - 0.01 * g * g + 1e-7)),
        "lars": ({"name": "lars", "momentum": 0.9, "nesterov": False, "weight_decay": 0.01, "eta": 0.001, "epsilon": 0.0},
                 lambda w, g: w - lr * (g + 0.01 * w) * trust(w, g + 0.01 * w, 0.001)),
        "lars nesterov": ({"name": "lars", "momentum": 0.9, "nesterov": True, "weight_decay": 0.0, "eta": 0.02, "epsilon": 1e-9},
                          lambda w, g: w - 1.9 * lr * g * trust(w, g, 0.02, 1e-9)),
        "lamb": ({"name": "lamb", "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-6, "weight_decay": 0.01},
                 lambda w, g: w - lr * (u := g / (np.abs(g) + 1e-6) + 0.01 * w) * trust(w, u, 1.0)),
    }
    for name, (o, rule) in rules.items():
        folder, ans = run(root, "rule_" + name.replace(" ", "_").replace(",", ""), o, steps=1)
        c, params, x, y = loaded(folder)
        grads = {g["name"]: np.array(g["values"]) for g in ans["gradients"]}
        worst = 0.0
        for w, p, a in zip(c["weights"], params, ans["weights"]):
            if not w["trainable"]:
                continue
            expected = rule(p.ravel(), grads[w["name"]])
            worst = max(worst, np.abs(np.array(a["values"]) - expected).max() / max(np.abs(expected).max(), 1e-300))
        report(f"one step of {name} by hand", worst < 1e-12, f"worst relative difference {worst:.1e}")

    # The moving statistics after two steps: m = m momentum + batch (1 - momentum), the biased variance.
    folder, ans = run(root, "moving", {"name": "sgd", "momentum": 0.0, "nesterov": False, "pytorch_form": 0, "weight_decay": 0.0}, steps=2)
    c, params, _, _ = loaded(folder)
    lay = c["model"]["layers"]
    values = {a["name"]: np.array(a["values"]) for a in ans["weights"]}
    ps = [p.copy() for p in params]
    mm, mv = ps[4].copy(), ps[5].copy()
    for i, b in enumerate(c["batches"]):
        x = rc.load(folder, b["x"])
        z, _ = rc.conv_forward(lay[0], ps[0], ps[1], x)
        a = np.maximum(z, 0)
        mm = mm * 0.8 + a.mean(axis=(0, 1, 2)) * 0.2
        mv = mv * 0.8 + a.var(axis=(0, 1, 2)) * 0.2
        _, g, _ = rc.forward_backward(lay, ps, x, rc.load(folder, b["y"]), c["loss"])
        for k in (0, 1, 2, 3, 6, 7):
            ps[k] -= c["learning_rates"][i] * g[k]
    d = max(np.abs(values["batch_norm1/moving_mean"] - mm).max(), np.abs(values["batch_norm1/moving_variance"] - mv).max())
    report("batch_norm moving statistics, two steps", d < 1e-12, f"max difference {d:.1e}")
    report("batch_norm: gradients only for the trainable weights",
           [g["name"] for g in ans["gradients"]] == [w["name"] for w in c["weights"] if w["trainable"]]
           and [w["name"] for w in ans["weights"]] == [w["name"] for w in c["weights"]], "names in case order")


def trust(w, u, coefficient, eps=0.0):
    wn, un = np.linalg.norm(w), np.linalg.norm(u)
    return 1.0 if wn == 0 or un == 0 else coefficient * wn / (un + eps)


def main():
    with tempfile.TemporaryDirectory(prefix="lrbs-selfcheck-") as root:
        gradient_checks(root)
        optimizer_checks(root)
    print(f"{'all checks pass' if not failures else f'{len(failures)} failed: ' + ', '.join(failures)}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
