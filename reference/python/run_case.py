#!/usr/bin/env python3
"""Python reference for lrbs parity cases (format: reference/CASES.md).

    python3 reference/python/run_case.py CASE_DIR ANSWER.json [CASE_DIR ANSWER.json ...]

An independent float64 oracle written with numpy from the Keras 3 and optax sources:
layers (Dense, Conv2D same/valid with strides, MaxPooling2D, AveragePooling2D,
GlobalAveragePooling2D, Flatten in NHWC order, BatchNormalization in training mode with
its moving statistics), the activations linear, relu, sigmoid, tanh, softmax, leaky_relu,
elu and gelu, losses with their gradients (categorical and binary cross-entropy both from
the cached logits, as tf.keras and Keras 3 on TensorFlow compute them, and from clipped
probabilities, as TensorFlow.js does; 1 - IoU), and the optimizers SGD (Keras and PyTorch
momentum), Adam and AdamW (Keras and bias-corrected epsilon placement), RMSprop (Keras 3),
LARS and LAMB (optax). Source citations (file:line) are those of keras-team/keras 3422977,
google-deepmind/optax 2edbcbe and tensorflow/tfjs 0fc04d9.

As a module (lrbs parity --reference python imports it in process through pythonnet):
answer(case_dir) is the answer as a dict, answer_json(case_dir) the same as the JSON text
the command line writes. Errors in a case raise ValueError or KeyError naming the file.
"""
import json
import math
import os
import sys

import numpy as np

EPS = 1e-7
MOVING = ("moving_mean", "moving_variance")

_erf = np.vectorize(math.erf, otypes=[np.float64])


# ---- activations: forward, and the derivative applied to da ----
def act_forward(layer, z):
    name = layer.get("activation")
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "softmax":
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    if name == "leaky_relu":
        # keras/src/backend/tensorflow/nn.py:105-106 tf.nn.leaky_relu(x, alpha): x > 0 ? x : alpha x
        # (activations.py:112: the activation's default negative_slope is 0.2; the case writes alpha)
        return np.where(z > 0, z, layer.get("alpha", 0.2) * z)
    if name == "elu":
        # keras/src/backend/tensorflow/nn.py:118-123: x > 0 ? x : alpha (exp(x) - 1); activations.py:169 alpha 1.0
        return np.where(z > 0, z, layer.get("alpha", 1.0) * np.expm1(np.minimum(z, 0.0)))
    if name == "gelu":
        # keras/src/activations/activations.py:338 gelu(x, approximate=False): 0.5 x (1 + erf(x / sqrt 2))
        return 0.5 * z * (1.0 + _erf(z / math.sqrt(2.0)))
    if name in (None, "linear"):
        return z
    raise ValueError(f"unknown activation {name}")


def act_backward(layer, z, a, da):
    name = layer.get("activation")
    if name == "relu":
        return da * (z > 0)
    if name == "sigmoid":
        return da * a * (1.0 - a)
    if name == "tanh":
        return da * (1.0 - a * a)
    if name == "softmax":
        return a * (da - (da * a).sum(axis=-1, keepdims=True))
    if name == "leaky_relu":
        return da * np.where(z > 0, 1.0, layer.get("alpha", 0.2))
    if name == "elu":
        return da * np.where(z > 0, 1.0, layer.get("alpha", 1.0) * np.exp(np.minimum(z, 0.0)))
    if name == "gelu":
        # d/dx x Phi(x) = Phi(x) + x phi(x)
        return da * (0.5 * (1.0 + _erf(z / math.sqrt(2.0))) + z * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi))
    return da


# ---- layers ----
def same_padding(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2, total - total // 2


def conv_patches(xp, k, s, oh, ow):
    # (N, oh, ow, C, k, k) windows of the padded input
    win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(1, 2))
    return win[:, : (oh - 1) * s + 1 : s, : (ow - 1) * s + 1 : s]


def conv_forward(layer, w, b, x):
    k, s = layer["kernel"], layer["stride"]
    n, h, wd, c = x.shape
    if layer["padding"] == "same":
        oh, pt, pb = same_padding(h, k, s)
        ow, pl, pr = same_padding(wd, k, s)
    elif layer["padding"] == "valid":
        oh, ow, pt, pb, pl, pr = (h - k) // s + 1, (wd - k) // s + 1, 0, 0, 0, 0
    else:
        raise ValueError(f"unknown padding {layer['padding']}")
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    z = np.einsum("nhwcij,ijco->nhwo", conv_patches(xp, k, s, oh, ow), w, optimize=True) + b
    return z, (xp, (pt, pl))


def conv_backward(layer, w, x, cache, dz):
    k, s = layer["kernel"], layer["stride"]
    xp, (pt, pl) = cache
    n, oh, ow, _ = dz.shape
    dw = np.einsum("nhwcij,nhwo->ijco", conv_patches(xp, k, s, oh, ow), dz, optimize=True)
    db = dz.sum(axis=(0, 1, 2))
    dxp = np.zeros(xp.shape)
    for i in range(k):
        for j in range(k):
            dxp[:, i : i + (oh - 1) * s + 1 : s, j : j + (ow - 1) * s + 1 : s, :] += np.einsum("nhwo,co->nhwc", dz, w[i, j])
    return dxp[:, pt : pt + x.shape[1], pl : pl + x.shape[2], :], [dw, db]


def pool_windows(p, x):
    # (N, oh, ow, C, p * p): pool x pool windows, stride pool, valid padding (rows and columns left over are dropped)
    n, h, w, c = x.shape
    oh, ow = h // p, w // p
    return x[:, : oh * p, : ow * p, :].reshape(n, oh, p, ow, p, c).transpose(0, 1, 3, 5, 2, 4).reshape(n, oh, ow, c, p * p)


def pool_unwindows(p, x, dwin):
    n, oh, ow, c, _ = dwin.shape
    dx = np.zeros_like(x)
    dx[:, : oh * p, : ow * p, :] = dwin.reshape(n, oh, ow, c, p, p).transpose(0, 1, 4, 2, 5, 3).reshape(n, oh * p, ow * p, c)
    return dx


def max_pool_forward(p, x):
    win = pool_windows(p, x)
    arg = win.argmax(axis=-1)  # the first maximum in row-major window order
    return np.take_along_axis(win, arg[..., None], -1)[..., 0], arg


def max_pool_backward(p, x, arg, dy):
    dwin = np.zeros(dy.shape + (p * p,))
    np.put_along_axis(dwin, arg[..., None], dy[..., None], -1)
    return pool_unwindows(p, x, dwin)


def batch_norm_forward(layer, gamma, beta, x):
    # keras/src/layers/normalization/batch_normalization.py:363-364 training: mean, variance = ops.moments(x, all axes
    # but the last), which is tf.nn.moments (backend/tensorflow/nn.py:1622-1623): the biased variance
    axes = tuple(range(x.ndim - 1))
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    inv = 1.0 / np.sqrt(var + layer["epsilon"])
    xhat = (x - mean) * inv
    # batch_normalization.py:396-404 -> tf.nn.batch_normalization: gamma (x - mean) / sqrt(var + epsilon) + beta
    return gamma * xhat + beta, (xhat, inv, mean, var)


def batch_norm_backward(gamma, cache, dy):
    xhat, inv, _, _ = cache
    axes = tuple(range(dy.ndim - 1))
    dxhat = dy * gamma
    dx = inv * (dxhat - dxhat.mean(axis=axes) - xhat * (dxhat * xhat).mean(axis=axes))
    return dx, [(dy * xhat).sum(axis=axes), dy.sum(axis=axes)]


# How many of the case's weights each layer owns, in case order.
N_WEIGHTS = {"dense": 2, "conv2d": 2, "batch_norm": 4}


def forward_backward(layers, params, x, y, loss):
    """Loss, gradients (Keras layout; None for the moving statistics) and each batch_norm's
    (weight index, batch mean, batch variance) of one batch. Pure: params are not changed."""
    caches, a, pi, stats = [], x, 0, []
    for layer in layers:
        t = layer["type"]
        if t == "dense":
            z = a @ params[pi] + params[pi + 1]
            out = act_forward(layer, z)
            caches.append((a, z, out, pi))
        elif t == "conv2d":
            z, cache = conv_forward(layer, params[pi], params[pi + 1], a)
            out = act_forward(layer, z)
            caches.append((a, z, out, pi, cache))
        elif t == "max_pool2d":
            out, arg = max_pool_forward(layer["pool"], a)
            caches.append((a, arg))
        elif t == "average_pool2d":
            out = pool_windows(layer["pool"], a).mean(axis=-1)
            caches.append((a,))
        elif t == "global_average_pool2d":
            out = a.mean(axis=(1, 2))
            caches.append((a.shape,))
        elif t == "flatten":
            out = a.reshape(a.shape[0], -1)
            caches.append((a.shape,))
        elif t == "batch_norm":
            out, cache = batch_norm_forward(layer, params[pi], params[pi + 1], a)
            caches.append((pi, cache))
            stats.append((pi, cache[2], cache[3]))
        else:
            raise ValueError(f"unknown layer type '{t}'")
        pi += N_WEIGHTS.get(t, 0)
        a = out
    if pi != len(params):
        raise ValueError(f"the layers own {pi} weights, the case lists {len(params)}")
    logits = loss.endswith("_logits")
    if logits and layers[-1]["type"] not in ("dense", "conv2d"):
        raise ValueError(f"loss {loss} needs a dense or conv2d last layer (its pre-activation)")
    # The logits forms take the last layer's pre-activation and give its gradient directly.
    value, da = logits_loss_and_grad(loss, y, caches[-1][1]) if logits else loss_and_grad(loss, y, a)
    grads = [None] * len(params)
    last = len(layers) - 1
    for index, (layer, cache) in reversed(list(enumerate(zip(layers, caches)))):
        t = layer["type"]
        if t == "dense":
            inp, z, out, pi = cache
            dz = da if (logits and index == last) else act_backward(layer, z, out, da)
            grads[pi], grads[pi + 1] = inp.T @ dz, dz.sum(axis=0)
            da = dz @ params[pi].T
        elif t == "conv2d":
            inp, z, out, pi, c = cache
            dz = da if (logits and index == last) else act_backward(layer, z, out, da)
            da, (grads[pi], grads[pi + 1]) = conv_backward(layer, params[pi], inp, c, dz)
        elif t == "max_pool2d":
            inp, arg = cache
            da = max_pool_backward(layer["pool"], inp, arg, da)
        elif t == "average_pool2d":
            p = layer["pool"]
            da = pool_unwindows(p, cache[0], np.repeat(da[..., None] / (p * p), p * p, axis=-1))
        elif t == "global_average_pool2d":
            n, h, w, c = cache[0]
            da = np.broadcast_to(da[:, None, None, :] / (h * w), cache[0]).copy()
        elif t == "flatten":
            da = da.reshape(cache[0])
        elif t == "batch_norm":
            pi, c = cache
            da, (grads[pi], grads[pi + 1]) = batch_norm_backward(params[pi], c, da)
    return value, grads, stats


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


# ---- optimizers: step(params, grads, lr) updates the trainable params in place ----
def keras_weight_decay(o, params, lr):
    # keras/src/optimizers/base_optimizer.py:588-592 weight decay runs before the update step, on every variable the
    # optimizer holds (the trainable ones, backend/tensorflow/trainer.py:79-84; no exclusions unless
    # exclude_from_weight_decay, :923-950); :952-959 variable.assign(variable - variable * wd * lr), lr of this step
    wd = o.get("weight_decay") or 0.0
    if wd:
        for w in params:
            w -= w * wd * lr


def norm(a):
    return math.sqrt(float((a * a).sum()))


def trust_ratio(w, u, coefficient, eps):
    # optax/_src/transform.py:1066-1077 scale_by_trust_ratio: coefficient ||w|| / (||u|| + eps), and 1 where
    # either norm is 0 (min_norm 0; norms over the whole array, numerics.safe_norm)
    wn, un = norm(w), norm(u)
    return 1.0 if wn == 0.0 or un == 0.0 else coefficient * wn / (un + eps)


class Sgd:
    def __init__(self, o, params):
        self.o, self.buf = o, [np.zeros_like(p) for p in params]

    def step(self, params, grads, lr):
        keras_weight_decay(self.o, params, lr)
        mu = self.o.get("momentum", 0.0)
        for i, (w, g) in enumerate(zip(params, grads)):
            if mu == 0:
                # keras/src/optimizers/sgd.py:123
                w -= lr * g
            elif not self.o.get("pytorch_form"):
                # keras/src/optimizers/sgd.py:103-121 m = mu m - lr g; w += m, or w += mu m - lr g (nesterov)
                self.buf[i] = mu * self.buf[i] - lr * g
                w += (mu * self.buf[i] - lr * g) if self.o.get("nesterov") else self.buf[i]
            else:
                # tfjs-core/src/optimizers/momentum_optimizer.ts (PyTorch form): b = mu b + g; w -= lr b, or lr (g + mu b)
                self.buf[i] = mu * self.buf[i] + g
                w -= lr * ((g + mu * self.buf[i]) if self.o.get("nesterov") else self.buf[i])


class Adam:
    """Adam (Keras 3) and AdamW, which is Adam with Keras's weight decay (keras/src/optimizers/adamw.py:7, 72-89)."""

    def __init__(self, o, params):
        self.o, self.t = o, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, params, grads, lr):
        keras_weight_decay(self.o, params, lr)
        b1, b2, eps = self.o["beta1"], self.o["beta2"], self.o["epsilon"]
        self.t += 1
        bc1, bc2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        for i, (w, g) in enumerate(zip(params, grads)):
            # keras/src/optimizers/adam.py:119-127 m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2)
            self.m[i] += (g - self.m[i]) * (1 - b1)
            self.v[i] += (g * g - self.v[i]) * (1 - b2)
            if not self.o.get("bias_corrected"):
                # keras/src/optimizers/adam.py:117, 132-137 w -= lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt v + eps)
                w -= lr * np.sqrt(bc2) / bc1 * self.m[i] / (np.sqrt(self.v[i]) + eps)
            else:
                # tfjs-core/src/optimizers/adam_optimizer.ts: w -= lr (m / bc1) / (sqrt(v / bc2) + eps)
                w -= lr * (self.m[i] / bc1) / (np.sqrt(self.v[i] / bc2) + eps)


class RmsProp:
    def __init__(self, o, params):
        self.o = o
        self.v = [np.zeros_like(p) for p in params]
        self.mg = [np.zeros_like(p) for p in params]
        self.mom = [np.zeros_like(p) for p in params]

    def step(self, params, grads, lr):
        keras_weight_decay(self.o, params, lr)
        rho, mu, eps = self.o["rho"], self.o.get("momentum", 0.0), self.o["epsilon"]
        for i, (w, g) in enumerate(zip(params, grads)):
            # keras/src/optimizers/rmsprop.py:126-132 v = rho v + (1 - rho) g^2
            self.v[i] = rho * self.v[i] + (1 - rho) * g * g
            if self.o.get("centered"):
                # rmsprop.py:133-141 a = rho a + (1 - rho) g; denominator v - a^2 + eps
                self.mg[i] = rho * self.mg[i] + (1 - rho) * g
                denominator = self.v[i] - self.mg[i] ** 2 + eps
            else:
                # rmsprop.py:143 denominator v + eps (epsilon inside the square root)
                denominator = self.v[i] + eps
            # rmsprop.py:144-146 increment = lr g / sqrt(denominator)
            increment = lr * g / np.sqrt(denominator)
            if mu > 0:
                # rmsprop.py:147-152 mom = momentum mom + increment; w -= mom
                self.mom[i] = mu * self.mom[i] + increment
                w -= self.mom[i]
            else:
                # rmsprop.py:154
                w -= increment


class Lars:
    """optax.lars (optax/_src/alias.py:1179-1249, the chain at 1239-1249): chain(add_decayed_weights(wd), scale_by_trust_ratio(eta, eps),
    scale_by_learning_rate(lr), trace(momentum, nesterov)) on every parameter (masks True)."""

    def __init__(self, o, params):
        self.o, self.trace = o, [np.zeros_like(p) for p in params]

    def step(self, params, grads, lr):
        o = self.o
        wd, mu = o.get("weight_decay") or 0.0, o["momentum"]
        for i, (w, g) in enumerate(zip(params, grads)):
            # optax/transforms/_adding.py:68-73 add_decayed_weights: u = g + wd w (skipped when wd is the constant 0)
            u = g + wd * w if wd else g.copy()
            # optax/_src/transform.py:1041-1077 scale_by_trust_ratio(trust_coefficient=eta, eps=epsilon)
            u = u * trust_ratio(w, u, o["eta"], o["epsilon"])
            # optax/_src/transform.py:985-1008 scale_by_learning_rate: u = -lr u (flip_sign)
            u = -lr * u
            # optax/transforms/_accumulation.py:68-75 trace: t = u + mu t; the update is t, or u + mu t (nesterov)
            self.trace[i] = u + mu * self.trace[i]
            # optax/_src/update.py apply_updates: w += update
            w += (u + mu * self.trace[i]) if o.get("nesterov") else self.trace[i]


class Lamb:
    """optax.lamb (optax/_src/alias.py:1252-1318, the chain at 1313-1318): chain(scale_by_adam(b1, b2, eps, eps_root=0),
    add_decayed_weights(wd, mask=None: every parameter), scale_by_trust_ratio() (coefficient 1, eps 0),
    scale_by_learning_rate(lr))."""

    def __init__(self, o, params):
        self.o, self.t = o, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, params, grads, lr):
        o = self.o
        b1, b2, eps, wd = o["beta1"], o["beta2"], o["epsilon"], o.get("weight_decay") or 0.0
        self.t += 1
        for i, (w, g) in enumerate(zip(params, grads)):
            # optax/_src/transform.py:281-305 scale_by_adam (tree_utils/_tree_math.py:394-452 moments, bias correction): m = (1 - b1) g + b1 m; v = (1 - b2) g^2 + b2 v;
            # u = (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t) + eps_root) + eps), eps_root 0
            self.m[i] = (1 - b1) * g + b1 * self.m[i]
            self.v[i] = (1 - b2) * g * g + b2 * self.v[i]
            u = (self.m[i] / (1 - b1 ** self.t)) / (np.sqrt(self.v[i] / (1 - b2 ** self.t)) + eps)
            # add_decayed_weights: u += wd w
            if wd:
                u = u + wd * w
            # scale_by_trust_ratio(): ||w|| / ||u||, 1 where a norm is 0
            u = u * trust_ratio(w, u, 1.0, 0.0)
            # scale_by_learning_rate then apply_updates: w -= lr u
            w -= lr * u


OPTIMIZERS = {"sgd": Sgd, "adam": Adam, "adamw": Adam, "rmsprop": RmsProp, "lars": Lars, "lamb": Lamb}


def load(case_dir, name):
    path = os.path.join(case_dir, name)
    try:
        return np.load(path).astype(np.float64)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: not a float32 .npy file ({e})") from e


def is_trainable(w):
    return w.get("trainable", w.get("role") not in MOVING)


def run_numpy(case_dir, c):
    params = [load(case_dir, w["file"]) for w in c["weights"]]
    trainable = [k for k, w in enumerate(c["weights"]) if is_trainable(w)]
    name = c["optimizer"]["name"]
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name}")
    # The optimizer holds the trainable weights only; the moving statistics change in the forward pass.
    opt = OPTIMIZERS[name](c["optimizer"], [params[k] for k in trainable])
    losses, first = [], None
    for i, b in enumerate(c["batches"]):
        value, grads, stats = forward_backward(c["model"]["layers"], params, load(case_dir, b["x"]), load(case_dir, b["y"]), c["loss"])
        if i == 0:
            first = [grads[k].copy() for k in trainable]
        losses.append(float(value))
        # batch_normalization.py:385-391 in the training forward: m = m momentum + batch (1 - momentum), the batch's
        # (biased) variance for the moving variance too; it precedes the optimizer's update of the same step
        bn_momentum = [l["momentum"] for l in c["model"]["layers"] if l["type"] == "batch_norm"]
        for (pi, mean, var), mom in zip(stats, bn_momentum):
            params[pi + 2][...] = params[pi + 2] * mom + mean * (1.0 - mom)
            params[pi + 3][...] = params[pi + 3] * mom + var * (1.0 - mom)
        opt.step([params[k] for k in trainable], [grads[k] for k in trainable], c["learning_rates"][i])
    gradients = [{"name": c["weights"][k]["name"], "values": g.ravel().tolist()} for k, g in zip(trainable, first)]
    weights = [{"name": w["name"], "values": a.ravel().tolist()} for w, a in zip(c["weights"], params)]
    return {"losses": losses, "gradients": gradients, "weights": weights}


def read_case(case_dir):
    manifest = os.path.join(case_dir, "case.json")
    try:
        with open(manifest) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{manifest}: not a valid case manifest: JSON error ({e})") from e


def answer(case_dir):
    """The answer to the case in case_dir (reference/CASES.md), as a dict."""
    c = read_case(case_dir)
    result = {"reference": f"numpy {np.__version__} float64 Keras 3 / optax formulas"}
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
