#!/usr/bin/env python3
"""Cross-check of the two references: run-case.js (TensorFlow.js's own layers and optimizers)
against run_case.py (the float64 oracle) on small random cases.

    /usr/bin/python3 reference/tfjs/crosscheck.py      (needs node and node_modules/@tensorflow)

Writes each case as lrbs parity does (reference/CASES.md), with the `tfjs` entries that
tfjs_layer() and tfjs_optimizer() below give, which are those the host writes. A case TF.js
supports passes when its losses and weights agree to 1e-4 relative (float32 against float64)
and its step-0 gradients to 1e-4 of the largest gradient; the cases TF.js must answer
"unsupported" (or where it is known to differ) are listed as such. One line a case; exit 1
when a check fails.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
import run_case as rc  # noqa: E402
import selfcheck as sc  # noqa: E402

TOL = 1e-4
# TF.js activation strings (tfjs-layers/src/keras_format/activation_config.ts) among the case's activations
TFJS_ACTIVATIONS = {"linear", "relu", "sigmoid", "tanh", "softmax", "gelu"}


def tfjs_layer(l):
    """The layer's tfjs entry ({"tfjs": ...} or {"tfjs_unsupported": why})."""
    t = l["type"]
    if t in ("dense", "conv2d"):
        act, extra = l["activation"], None
        if act == "leaky_relu":
            # no activation string; the LeakyReLU layer (default alpha 0.3, so always written)
            act, extra = "linear", {"name": "leakyReLU", "config": {"alpha": l["alpha"]}}
        elif act == "elu":
            if l["alpha"] != 1.0:
                return {"tfjs_unsupported": "TensorFlow.js's elu has alpha 1 only (its ELU layer and K.elu throw otherwise)"}
        elif act not in TFJS_ACTIVATIONS:
            return {"tfjs_unsupported": f"TensorFlow.js has no {act} activation"}
        config = ({"units": l["units"]} if t == "dense" else
                  {"filters": l["filters"], "kernelSize": l["kernel"], "strides": l["stride"], "padding": l["padding"]})
        entry = {"layer": t, "config": {**config, "activation": act}}
        if extra:
            entry["activation"] = extra
        return {"tfjs": entry}
    if t in ("max_pool2d", "average_pool2d"):
        return {"tfjs": {"layer": "maxPooling2d" if t == "max_pool2d" else "averagePooling2d",
                         "config": {"poolSize": l["pool"], "strides": l["pool"], "padding": "valid"}}}
    if t == "global_average_pool2d":
        return {"tfjs": {"layer": "globalAveragePooling2d", "config": {}}}
    if t == "flatten":
        return {"tfjs": {"layer": "flatten", "config": {}}}
    if t == "batch_norm":
        return {"tfjs": {"layer": "batchNormalization", "config": {"momentum": l["momentum"], "epsilon": l["epsilon"]}}}
    raise ValueError(t)


def tfjs_optimizer(o):
    """The optimizer's tfjs entry: tf.train[fn](...args), "lr" for the first learning rate."""
    n, wd = o["name"], o.get("weight_decay") or 0.0
    if wd:
        return {"tfjs_unsupported": "TensorFlow.js's optimizers have no weight decay"}
    if n == "sgd" and o["momentum"] == 0:
        return {"tfjs": {"fn": "sgd", "args": ["lr"]}}
    if n == "sgd" and o["form"] == "pytorch":
        return {"tfjs": {"fn": "momentum", "args": ["lr", o["momentum"], o["nesterov"]]}}
    if n == "sgd":
        return {"tfjs_unsupported": "TensorFlow.js has only the PyTorch momentum form"}
    if n == "adam" and o["placement"] == "bias_corrected":
        return {"tfjs": {"fn": "adam", "args": ["lr", o["beta1"], o["beta2"], o["epsilon"]]}}
    if n == "adam":
        return {"tfjs_unsupported": "TensorFlow.js's Adam adds epsilon after bias correction"}
    if n == "rmsprop" and not o["centered"]:
        return {"tfjs": {"fn": "rmsprop", "args": ["lr", o["rho"], o["momentum"], o["epsilon"], False]}}
    if n == "rmsprop":
        return {"tfjs_unsupported": "TensorFlow.js's centered RMSprop subtracts epsilon: sqrt(ms - mg^2 - eps)"}
    return {"tfjs_unsupported": f"TensorFlow.js has no {n}"}


def make(root, name, layers, shape, optimizer, loss="categorical_crossentropy", steps=3, seed=3, n=6, tfjs=True):
    folder = os.path.join(root, name.replace(" ", "_"))
    c = sc.write_case(folder, layers, shape, loss, optimizer, np.random.default_rng(seed), steps=steps, n=n,
                      lrs=[0.05, 0.02, 0.03][:steps])
    for l in c["model"]["layers"]:
        l.update(tfjs_layer(l))
    c["optimizer"].update(tfjs_optimizer(c["optimizer"]) if tfjs else
                          {"tfjs": {"fn": "rmsprop", "args": ["lr", optimizer["rho"], optimizer["momentum"], optimizer["epsilon"], True]}})
    with open(os.path.join(folder, "case.json"), "w") as f:
        json.dump(c, f, indent=1)
    return folder


def compare(folder):
    """(passed, line) of one case: agreement, or the unsupported answer."""
    py = rc.answer(folder)
    out = os.path.join(folder, "tfjs.json")
    r = subprocess.run(["node", os.path.join(HERE, "run-case.js"), folder, out], capture_output=True, text=True)
    if r.returncode:
        return False, f"node failed: {r.stderr.strip()}"
    with open(out) as f:
        js = json.load(f)
    if "unsupported" in js:
        return None, "unsupported: " + js["unsupported"]
    if any(v is None for v in js["losses"]):
        return False, f"TF.js losses {js['losses']}, python {py['losses']}"
    rel = lambda a, b: np.abs(np.array(a) - np.array(b)).max() / max(np.abs(np.array(b)).max(), 1e-30)
    if [g["name"] for g in js["gradients"]] != [g["name"] for g in py["gradients"]] or \
            [w["name"] for w in js["weights"]] != [w["name"] for w in py["weights"]]:
        return False, "the answers name different weights"
    dl = rel(js["losses"], py["losses"])
    whole = max(np.abs(np.array(g["values"])).max() for g in py["gradients"])  # a bias before batch_norm has gradient 0
    dg = max(np.abs(np.array(a["values"]) - np.array(b["values"])).max() / whole for a, b in zip(js["gradients"], py["gradients"]))
    dw = {a["name"]: rel(a["values"], b["values"]) for a, b in zip(js["weights"], py["weights"])}
    worst = max(dw, key=dw.get)
    return max(dl, dg, dw[worst]) < TOL, f"losses {dl:.1e}, gradients {dg:.1e}, weights {dw[worst]:.1e} ({worst})"


def main():
    D, C, F = sc.dense, sc.conv, sc.FLAT
    sgd = {"name": "sgd", "momentum": 0.0, "nesterov": False, "form": "keras", "weight_decay": 0.0}
    bn = {"type": "batch_norm", "momentum": 0.9, "epsilon": 1e-3}
    net = [C(3, activation="relu"), bn, F, D(3, "softmax")]
    rms = {"name": "rmsprop", "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": False, "weight_decay": 0.0}
    # (name, layers, input, optimizer, what TF.js must do: "agree", "unsupported" or "differ")
    cases = [
        ("dense tanh gelu elu leaky_relu", [D(5, "tanh"), D(5, "gelu"), D(5, "elu", alpha=1.0), D(5, "leaky_relu", alpha=0.2), D(3, "softmax")], [6], sgd, "agree"),
        ("conv2d same stride 2 leaky_relu", [C(3, 3, 2, "same", "leaky_relu", alpha=0.1), F, D(3, "softmax")], [8, 8, 2], sgd, "agree"),
        ("conv2d valid stride 2 gelu", [C(3, 3, 2, "valid", "gelu"), F, D(3, "softmax")], [7, 7, 2], sgd, "agree"),
        ("max_pool2d", [C(3, activation="relu"), {"type": "max_pool2d", "pool": 2}, F, D(3, "softmax")], [7, 7, 2], sgd, "agree"),
        ("average_pool2d", [C(3, activation="tanh"), {"type": "average_pool2d", "pool": 2}, F, D(3, "softmax")], [7, 7, 2], sgd, "agree"),
        ("global_average_pool2d", [C(4, activation="sigmoid"), {"type": "global_average_pool2d"}, D(3, "softmax")], [5, 6, 2], sgd, "agree"),
        ("batch_norm after conv2d", [C(3), bn, {"type": "max_pool2d", "pool": 2}, F, D(3, "softmax")], [6, 6, 2], sgd, "agree"),
        ("batch_norm after dense", [D(5), bn, D(4, "relu"), D(3, "softmax")], [6], sgd, "agree"),
        ("rmsprop", net, [6, 6, 2], rms, "agree"),
        ("rmsprop momentum", net, [6, 6, 2], {**rms, "rho": 0.8, "momentum": 0.9}, "agree"),
        ("momentum pytorch nesterov", net, [6, 6, 2], {"name": "sgd", "momentum": 0.9, "nesterov": True, "form": "pytorch", "weight_decay": 0.0}, "agree"),
        ("adam bias_corrected", net, [6, 6, 2], {"name": "adam", "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-7, "placement": "bias_corrected"}, "agree"),
        ("elu alpha 0.5", [D(5, "elu", alpha=0.5), D(3, "softmax")], [6], sgd, "unsupported"),
        ("rmsprop weight_decay", net, [6, 6, 2], {**rms, "weight_decay": 0.01}, "unsupported"),
        ("adamw", net, [6, 6, 2], {"name": "adamw", "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-7, "placement": "bias_corrected", "weight_decay": 0.01}, "unsupported"),
        ("lars", net, [6, 6, 2], {"name": "lars", "momentum": 0.9, "nesterov": False, "weight_decay": 0.0, "eta": 0.001, "epsilon": 0.0}, "unsupported"),
        ("lamb", net, [6, 6, 2], {"name": "lamb", "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-6, "weight_decay": 0.0}, "unsupported"),
    ]
    failed = 0
    with tempfile.TemporaryDirectory(prefix="lrbs-crosscheck-") as root:
        for name, layers, shape, optimizer, expected in cases:
            passed, line = compare(make(root, name, layers, shape, optimizer))
            ok = passed if expected == "agree" else passed is None
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name}: {line}")
        # Run anyway (a tfjs entry written by hand), TF.js's centered RMSprop must not agree: it takes
        # sqrt(ms - (mg^2 + eps)) (tfjs-core/src/optimizers/rmsprop_optimizer.ts:111-114), NaN for small gradients.
        passed, line = compare(make(root, "rmsprop centered forced", [D(5, "tanh"), D(3, "softmax")], [6],
                                    {**rms, "centered": True}, tfjs=False))
        failed += passed is not False
        print(f"{'ok  ' if passed is False else 'FAIL'} rmsprop centered, forced through TF.js, differs: {line}")
    print("all checks pass" if not failed else f"{failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
