#!/usr/bin/env python3
"""Python reference for lrbs parity cases (format: reference/CASES.md).

    python3 reference/python/run_case.py CASE_DIR ANSWER.json

An independent float64 oracle written with numpy from the Keras formulas: layers
(Dense, Conv2D same/valid, MaxPooling2D, Flatten in NHWC order), losses with their
gradients (categorical and binary cross-entropy both from the cached logits, as tf.keras
and Keras 3 on TensorFlow compute them, and from clipped probabilities, as TensorFlow.js
does; 1 - IoU), and the optimizers in both forms (Keras and PyTorch momentum; Keras and
bias-corrected Adam epsilon placement).

    python3 reference/python/run_case.py CASE_DIR ANSWER.json [CASE_DIR ANSWER.json ...]

As a module (lrbs parity --reference python imports it in process through pythonnet):
answer(case_dir) is the answer as a dict, answer_json(case_dir) the same as the JSON text
the command line writes. Errors in a case raise ValueError or KeyError naming the file.
"""
import json
import os
import sys

import numpy as np

EPS = 1e-7


# ---- layers: forward returns (output, cache); backward returns (dx, grads) ----
def act_forward(name, z):
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "softmax":
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    if name in (None, "linear"):
        return z
    raise ValueError(f"unknown activation {name}")


def act_backward(name, z, a, da):
    if name == "relu":
        return da * (z > 0)
    if name == "sigmoid":
        return da * a * (1.0 - a)
    if name == "softmax":
        return a * (da - (da * a).sum(axis=-1, keepdims=True))
    return da


def same_padding(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2, total - total // 2


def conv_patches(xp, k, s, oh, ow):
    # (N, oh, ow, C, k, k) windows of the padded input
    win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(1, 2))
    return win[:, : (oh - 1) * s + 1 : s, : (ow - 1) * s + 1 : s]


def conv_forward(layer, w, b, x):
    k, s = layer["kernel"], layer["strides"]
    n, h, wd, c = x.shape
    if layer["padding"] == "same":
        oh, pt, pb = same_padding(h, k, s)
        ow, pl, pr = same_padding(wd, k, s)
    else:
        oh, ow, pt, pb, pl, pr = (h - k) // s + 1, (wd - k) // s + 1, 0, 0, 0, 0
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    z = np.einsum("nhwcij,ijco->nhwo", conv_patches(xp, k, s, oh, ow), w, optimize=True) + b
    return z, (xp.shape, (pt, pl), None)


def conv_backward(layer, w, x, cache, dz):
    k, s = layer["kernel"], layer["strides"]
    xp_shape, (pt, pl), _ = cache
    n, oh, ow, _ = dz.shape
    xp = np.pad(x, ((0, 0), (pt, xp_shape[1] - x.shape[1] - pt), (pl, xp_shape[2] - x.shape[2] - pl), (0, 0)))
    dw = np.einsum("nhwcij,nhwo->ijco", conv_patches(xp, k, s, oh, ow), dz, optimize=True)
    db = dz.sum(axis=(0, 1, 2))
    dxp = np.zeros(xp_shape)
    for i in range(k):
        for j in range(k):
            dxp[:, i : i + (oh - 1) * s + 1 : s, j : j + (ow - 1) * s + 1 : s, :] += np.einsum("nhwo,co->nhwc", dz, w[i, j])
    return dxp[:, pt : pt + x.shape[1], pl : pl + x.shape[2], :], [dw, db]


def pool_forward(p, x):
    n, h, w, c = x.shape
    oh, ow = h // p, w // p
    win = x[:, : oh * p, : ow * p, :].reshape(n, oh, p, ow, p, c).transpose(0, 1, 3, 5, 2, 4).reshape(n, oh, ow, c, p * p)
    arg = win.argmax(axis=-1)  # the first maximum in row-major window order
    return np.take_along_axis(win, arg[..., None], -1)[..., 0], arg


def pool_backward(p, x, arg, dy):
    n, h, w, c = x.shape
    oh, ow = dy.shape[1], dy.shape[2]
    dwin = np.zeros((n, oh, ow, c, p * p))
    np.put_along_axis(dwin, arg[..., None], dy[..., None], -1)
    dx = np.zeros_like(x)
    dx[:, : oh * p, : ow * p, :] = dwin.reshape(n, oh, ow, c, p, p).transpose(0, 1, 4, 2, 5, 3).reshape(n, oh * p, ow * p, c)
    return dx


def forward_backward(layers, params, x, y, loss):
    """Loss and gradients (Keras layout) of one batch."""
    caches, a, pi = [], x, 0
    for layer in layers:
        t = layer["type"]
        if t == "dense":
            w, b = params[pi], params[pi + 1]
            z = a @ w + b
            out = act_forward(layer["activation"], z)
            caches.append((a, z, out, pi))
            pi += 2
        elif t == "conv2d":
            w, b = params[pi], params[pi + 1]
            z, cache = conv_forward(layer, w, b, a)
            out = act_forward(layer["activation"], z)
            caches.append((a, z, out, pi, cache))
            pi += 2
        elif t == "maxpool":
            out, arg = pool_forward(layer["pool"], a)
            caches.append((a, arg))
        elif t == "flatten":
            out = a.reshape(a.shape[0], -1)
            caches.append((a.shape,))
        a = out
    logits = loss.endswith("_logits")
    # The logits forms take the last layer's pre-activation and give its gradient directly.
    value, da = logits_loss_and_grad(loss, y, caches[-1][1]) if logits else loss_and_grad(loss, y, a)
    grads = [None] * len(params)
    last = len(layers) - 1
    for index, (layer, cache) in reversed(list(enumerate(zip(layers, caches)))):
        t = layer["type"]
        if t == "dense":
            inp, z, out, pi = cache
            dz = da if (logits and index == last) else act_backward(layer["activation"], z, out, da)
            grads[pi], grads[pi + 1] = inp.T @ dz, dz.sum(axis=0)
            da = dz @ params[pi].T
        elif t == "conv2d":
            inp, z, out, pi, c = cache
            dz = act_backward(layer["activation"], z, out, da)
            da, (grads[pi], grads[pi + 1]) = conv_backward(layer, params[pi], inp, c, dz)
        elif t == "maxpool":
            inp, arg = cache
            da = pool_backward(layer["pool"], inp, arg, da)
        elif t == "flatten":
            da = da.reshape(cache[0])
    return value, grads


def loss_and_grad(name, y, p):
    n = y.shape[0]
    if name == "categorical_crossentropy":
        s = p.sum(axis=-1, keepdims=True)
        q = p / s
        qc = np.clip(q, EPS, 1 - EPS)
        value = -(y * np.log(qc)).sum(axis=-1).mean()
        dqc = -y / qc / n
        dq = dqc * ((q >= EPS) & (q <= 1 - EPS))
        dp = (dq - (dq * q).sum(axis=-1, keepdims=True)) / s
        return value, dp
    if name == "binary_crossentropy":
        # Keras 3 and TensorFlow.js from probabilities: clip, then -(y log p + (1 - y) log(1 - p)).
        k = y.shape[1]
        pc = np.clip(p, EPS, 1 - EPS)
        value = -(y * np.log(pc) + (1 - y) * np.log(1 - pc)).mean()
        dpc = -(y / pc - (1 - y) / (1 - pc)) / (n * k)
        return value, dpc * ((p >= EPS) & (p <= 1 - EPS))
    if name == "one_minus_iou":
        px1, py1, px2, py2 = p.T
        tx1, ty1, tx2, ty2 = y.T
        rw, rh = np.minimum(px2, tx2) - np.maximum(px1, tx1), np.minimum(py2, ty2) - np.maximum(py1, ty1)
        iw, ih = np.maximum(rw, 0), np.maximum(rh, 0)
        inter = iw * ih
        pw, ph = np.maximum(px2 - px1, 0), np.maximum(py2 - py1, 0)
        union = pw * ph + np.maximum(tx2 - tx1, 0) * np.maximum(ty2 - ty1, 0) - inter
        iou = inter / (union + EPS)
        value = (1 - iou).mean()
        diou = -np.ones(n) / n
        dinter = diou * (1 / (union + EPS) + inter / (union + EPS) ** 2)
        dunion = diou * (-inter / (union + EPS) ** 2)
        dpw, dph = dunion * ph, dunion * pw
        diw, dih = dinter * ih, dinter * iw
        drw, drh = diw * (rw >= 0), dih * (rh >= 0)  # clamp passes the gradient at 0, like libtorch
        g = np.zeros_like(p)
        g[:, 2] += drw * (px2 <= tx2) + dpw * (px2 - px1 >= 0)
        g[:, 0] += -drw * (px1 >= tx1) - dpw * (px2 - px1 >= 0)
        g[:, 3] += drh * (py2 <= ty2) + dph * (py2 - py1 >= 0)
        g[:, 1] += -drh * (py1 >= ty1) - dph * (py2 - py1 >= 0)
        return value, g
    if name == "one_minus_iou_plus_one":
        # S7's study form (the IoU loss widely copied for Keras): + 1 on every width and height,
        # the overlap not clamped, areas |x2 - x1 + 1| |y2 - y1 + 1|, the IoU clipped to [eps, 1 - eps].
        px1, py1, px2, py2 = p.T
        tx1, ty1, tx2, ty2 = y.T
        ow = np.minimum(px2, tx2) - np.maximum(px1, tx1) + 1
        oh = np.minimum(py2, ty2) - np.maximum(py1, ty1) + 1
        inter = ow * oh
        pw, ph = px2 - px1 + 1, py2 - py1 + 1
        union = np.abs(tx2 - tx1 + 1) * np.abs(ty2 - ty1 + 1) + np.abs(pw) * np.abs(ph) - inter
        iou = inter / union
        value = (1 - np.clip(iou, EPS, 1 - EPS)).mean()
        diou = -((iou >= EPS) & (iou <= 1 - EPS)).astype(p.dtype) / n
        dinter = diou * (1 / union + inter / union**2)
        darea = diou * (-inter / union**2)
        dpw, dph = darea * np.abs(ph) * np.sign(pw), darea * np.abs(pw) * np.sign(ph)
        dow, doh = dinter * oh, dinter * ow
        g = np.zeros_like(p)
        g[:, 2] += dow * (px2 <= tx2) + dpw
        g[:, 0] += -dow * (px1 >= tx1) - dpw
        g[:, 3] += doh * (py2 <= ty2) + dph
        g[:, 1] += -doh * (py1 >= ty1) - dph
        return value, g
    raise ValueError(f"unknown loss {name}")


def logits_loss_and_grad(name, y, z):
    """Cross-entropies from the logits z of a softmax / sigmoid output (no clipping):
    tf.nn.softmax_cross_entropy_with_logits and tf.nn.sigmoid_cross_entropy_with_logits."""
    n = y.shape[0]
    if name == "categorical_crossentropy_logits":
        zs = z - z.max(axis=-1, keepdims=True)
        logp = zs - np.log(np.exp(zs).sum(axis=-1, keepdims=True))
        return -(y * logp).sum(axis=-1).mean(), (np.exp(logp) - y) / n
    if name == "binary_crossentropy_logits":
        k = y.shape[1]
        value = (np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))).mean()
        return value, (1.0 / (1.0 + np.exp(-z)) - y) / (n * k)
    raise ValueError(f"unknown loss {name}")


# ---- optimizers, both forms (the update rules of DESIGN.md) ----
class Sgd:
    def __init__(self, o, params):
        self.o, self.buf = o, [np.zeros_like(p) for p in params]

    def step(self, params, grads, lr):
        mu = self.o.get("momentum", 0.0)
        for i, (w, g) in enumerate(zip(params, grads)):
            if mu == 0:
                w -= lr * g
            elif self.o.get("form", "keras") == "keras":
                self.buf[i] = mu * self.buf[i] - lr * g
                w += (mu * self.buf[i] - lr * g) if self.o.get("nesterov") else self.buf[i]
            else:
                self.buf[i] = mu * self.buf[i] + g
                w -= lr * ((g + mu * self.buf[i]) if self.o.get("nesterov") else self.buf[i])


class Adam:
    def __init__(self, o, params):
        self.o, self.t = o, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, params, grads, lr):
        b1, b2, eps = self.o["beta1"], self.o["beta2"], self.o["epsilon"]
        self.t += 1
        bc1, bc2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        for i, (w, g) in enumerate(zip(params, grads)):
            self.m[i] += (g - self.m[i]) * (1 - b1)
            self.v[i] += (g * g - self.v[i]) * (1 - b2)
            if self.o.get("placement", "keras") == "keras":
                w -= lr * np.sqrt(bc2) / bc1 * self.m[i] / (np.sqrt(self.v[i]) + eps)
            else:
                w -= lr * (self.m[i] / bc1) / (np.sqrt(self.v[i] / bc2) + eps)


def load(case_dir, name):
    path = os.path.join(case_dir, name)
    try:
        return np.load(path).astype(np.float64)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: not a float32 .npy file ({e})") from e


def run_numpy(case_dir, c):
    params = [load(case_dir, w["file"]) for w in c["weights"]]
    opt = (Adam if c["optimizer"]["name"] == "adam" else Sgd)(c["optimizer"], params)
    losses, first = [], None
    for i, b in enumerate(c["batches"]):
        value, grads = forward_backward(c["model"]["layers"], params, load(case_dir, b["x"]), load(case_dir, b["y"]), c["loss"])
        if i == 0:
            first = [g.copy() for g in grads]
        losses.append(float(value))
        opt.step(params, grads, c["learning_rates"][i])
    named = lambda arrays: [{"name": w["name"], "values": a.ravel().tolist()} for w, a in zip(c["weights"], arrays)]
    return {"losses": losses, "gradients": named(first), "weights": named(params)}


def answer(case_dir):
    """The answer to the case in case_dir (reference/CASES.md), as a dict."""
    manifest = os.path.join(case_dir, "case.json")
    try:
        with open(manifest) as f:
            c = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{manifest}: not a valid case manifest: JSON error ({e})") from e
    result = {"reference": f"numpy {np.__version__} float64 Keras formulas"}
    result.update(run_numpy(case_dir, c))
    return result


def answer_json(case_dir):
    """answer(case_dir) as the JSON text of ANSWER.json: the host parses it as it parses the file."""
    return json.dumps(answer(case_dir))


def main():
    args = sys.argv[1:]
    if not args or len(args) % 2:
        sys.exit("usage: run_case.py CASE_DIR ANSWER.json [CASE_DIR ANSWER.json ...]")
    for case_dir, answer_path in zip(args[::2], args[1::2]):
        result = answer(case_dir)
        with open(answer_path, "w") as f:
            json.dump(result, f)


if __name__ == "__main__":
    try:
        main()
    except (ValueError, KeyError) as e:
        sys.exit(f"python reference: {e}")
