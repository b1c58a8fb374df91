#!/usr/bin/env node
// TensorFlow.js peer of `lrbs bench` (see README.md), wasm backend: the model built with
// TensorFlow.js's Keras layers, trained with its optimizers. One JSON line on stdout, or
// {"unsupported": why} when the backend lacks a kernel the model needs.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs-core');
const tfl = require('@tensorflow/tfjs-layers');
const wasm = require('@tensorflow/tfjs-backend-wasm');

function load(dir) {
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
  const bytes = fs.readFileSync(path.join(dir, 'x.u8'));
  const x = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) x[i] = bytes[i] * meta.scale;
  const ybuf = fs.readFileSync(path.join(dir, 'y.bin'));
  const y = meta.targets === 'classes'
    ? Array.from(new BigInt64Array(ybuf.buffer, ybuf.byteOffset, meta.rows), Number)
    : new Float32Array(ybuf.buffer.slice(ybuf.byteOffset, ybuf.byteOffset + ybuf.length));
  return { meta, x, y };
}

function build(name) {
  const m = tfl.sequential();
  if (name === 'mlp') {
    m.add(tfl.layers.dense({ units: 100, activation: 'relu', inputShape: [784] }));
    m.add(tfl.layers.dense({ units: 50, activation: 'relu' }));
    m.add(tfl.layers.dense({ units: 10 }));
  } else {
    m.add(tfl.layers.maxPooling2d({ poolSize: 2, inputShape: [128, 128, 1] }));
    m.add(tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }));
    m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }));
    m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.dense({ units: 16, activation: 'relu' }));
    m.add(tfl.layers.dense({ units: 4 }));
  }
  return m;
}

function oneMinusIoU(p, t) {
  const [px1, py1, px2, py2] = tf.split(p, 4, 1);
  const [tx1, ty1, tx2, ty2] = tf.split(t, 4, 1);
  const iw = tf.relu(tf.sub(tf.minimum(px2, tx2), tf.maximum(px1, tx1)));
  const ih = tf.relu(tf.sub(tf.minimum(py2, ty2), tf.maximum(py1, ty1)));
  const inter = tf.mul(iw, ih);
  const area = (a, b, c, d) => tf.mul(tf.relu(tf.sub(c, a)), tf.relu(tf.sub(d, b)));
  return tf.sub(1, tf.mean(tf.div(inter, tf.add(tf.sub(tf.add(area(px1, py1, px2, py2), area(tx1, ty1, tx2, ty2)), inter), 1e-7))));
}

async function main() {
  const [dir, name, optName, lrText, batchText, stepsText] = process.argv.slice(2);
  const lr = Number(lrText), batch = Number(batchText), steps = Number(stepsText);
  wasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), path.sep));
  await tf.setBackend('wasm');
  const { meta, x, y } = load(dir);
  const n = meta.rows;
  const model = build(name);
  const opt = optName === 'sgd' ? tf.train.sgd(lr) : tf.train.adam(lr, 0.9, 0.999, 1e-7);
  const perEpoch = Math.ceil(n / batch), warmup = 10;
  const shape = name === 'mlp' ? [784] : [128, 128, 1];
  const xAll = tf.tensor(x, [n, ...shape]);
  const yAll = name === 'mlp' ? tf.oneHot(tf.tensor1d(y, 'int32'), 10) : tf.tensor2d(y, [n, 4]);
  let perm = tf.util.createShuffledIndices(n);
  let total = tf.scalar(0);
  let start = 0;
  for (let i = 0; i < warmup + steps; i++) {
    if (i === warmup) start = process.hrtime.bigint();
    const j = i % perEpoch;
    if (j === 0) perm = tf.util.createShuffledIndices(n);
    const rows = perm.subarray(j * batch, Math.min(n, (j + 1) * batch));
    tf.tidy(() => {
      const idx = tf.tensor1d(Int32Array.from(rows), 'int32');
      const xt = tf.gather(xAll, idx), yt = tf.gather(yAll, idx);
      const loss = opt.minimize(() => name === 'mlp'
        ? tf.losses.softmaxCrossEntropy(yt, model.apply(xt, { training: true }))
        : oneMinusIoU(model.apply(xt, { training: true }), yt), true);
      const next = tf.add(total, tf.mul(loss, rows.length));
      total.dispose();
      total = tf.keep(next);
    });
  }
  total.dataSync();
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(JSON.stringify({ seconds_per_epoch: elapsed / steps * perEpoch, steps, version: `tensorflow.js ${tf.version_core} wasm` }));
}

main().catch(e => {
  if (/not registered|not yet implemented|Kernel/i.test(e.message)) {
    console.log(JSON.stringify({ unsupported: e.message.split('\n')[0] }));
    process.exit(0);
  }
  process.stderr.write(`tfjs bench: ${e.message}\n`);
  process.exit(1);
});
