#!/usr/bin/env node
// TensorFlow.js reference for lrbs parity cases (format: reference/CASES.md).
//   node reference/tfjs/run-case.js CASE_DIR ANSWER.json [CASE_DIR ANSWER.json ...]
// Builds the case's model with TensorFlow.js's own Keras layers, loads the case's
// weights, and trains on the case's batches with TensorFlow.js's own optimizers.
// Nothing here re-implements an update rule. TensorFlow.js's momentum is the PyTorch
// form (b = mu b + g; w -= lr b) and its Adam adds epsilon after bias correction, so
// cases asking for Keras's forms are answered "unsupported" and compared in Python.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const tfl = require('@tensorflow/tfjs-layers');

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header))
    throw new Error(`${file}: expected little-endian float32 in C order, header ${header.trim()}`);
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(',').map(s => s.trim()).filter(s => s).map(Number);
  const offset = start + headerLen;
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset + offset, buf.byteOffset + buf.length));
  return { shape, data };
}

function load(caseDir, file) {
  const a = readNpy(path.join(caseDir, file));
  return tf.tensor(a.data, a.shape, 'float32');
}

function buildModel(spec) {
  const model = tfl.sequential();
  spec.layers.forEach((l, i) => {
    const first = i === 0 ? { inputShape: spec.input } : {};
    switch (l.type) {
      case 'dense': model.add(tfl.layers.dense({ units: l.units, activation: l.activation, ...first })); break;
      case 'conv2d': model.add(tfl.layers.conv2d({ filters: l.filters, kernelSize: l.kernel, strides: l.strides, padding: l.padding, activation: l.activation, ...first })); break;
      case 'maxpool': model.add(tfl.layers.maxPooling2d({ poolSize: l.pool, strides: l.pool, padding: 'valid', ...first })); break;
      case 'flatten': model.add(tfl.layers.flatten(first)); break;
      default: throw new Error(`unknown layer type '${l.type}'`);
    }
  });
  return model;
}

function lossFunction(name) {
  switch (name) {
    case 'categorical_crossentropy': return (y, p) => tf.mean(tfl.metrics.categoricalCrossentropy(y, p));
    case 'binary_crossentropy': return (y, p) => tf.mean(tfl.metrics.binaryCrossentropy(y, p));
    case 'one_minus_iou': return (y, p) => {
      // The loss itself (not an update rule): 1 - IoU of (x1, y1, x2, y2) boxes.
      const [px1, py1, px2, py2] = tf.split(p, 4, 1);
      const [tx1, ty1, tx2, ty2] = tf.split(y, 4, 1);
      const iw = tf.maximum(tf.sub(tf.minimum(px2, tx2), tf.maximum(px1, tx1)), 0);
      const ih = tf.maximum(tf.sub(tf.minimum(py2, ty2), tf.maximum(py1, ty1)), 0);
      const inter = tf.mul(iw, ih);
      const area = (x1, y1, x2, y2) => tf.mul(tf.maximum(tf.sub(x2, x1), 0), tf.maximum(tf.sub(y2, y1), 0));
      const union = tf.sub(tf.add(area(px1, py1, px2, py2), area(tx1, ty1, tx2, ty2)), inter);
      return tf.mean(tf.sub(1, tf.div(inter, tf.add(union, 1e-7))));
    };
    case 'one_minus_iou_plus_one': return (y, p) => {
      // S7's study form, as the widely copied Keras IoU loss writes it: + 1 on widths and heights,
      // the overlap not clamped, |.| on the areas, the IoU clipped to [1e-7, 1 - 1e-7].
      const [px1, py1, px2, py2] = tf.split(p, 4, 1);
      const [tx1, ty1, tx2, ty2] = tf.split(y, 4, 1);
      const inter = tf.mul(tf.add(tf.sub(tf.minimum(px2, tx2), tf.maximum(px1, tx1)), 1),
                           tf.add(tf.sub(tf.minimum(py2, ty2), tf.maximum(py1, ty1)), 1));
      const area = (x1, y1, x2, y2) => tf.mul(tf.abs(tf.add(tf.sub(x2, x1), 1)), tf.abs(tf.add(tf.sub(y2, y1), 1)));
      const union = tf.sub(tf.add(area(tx1, ty1, tx2, ty2), area(px1, py1, px2, py2)), inter);
      return tf.mean(tf.sub(1, tf.clipByValue(tf.div(inter, union), 1e-7, 1 - 1e-7)));
    };
    default: throw new Error(`unknown loss '${name}'`);
  }
}

// The optimizer as TensorFlow.js implements it, or null when it has no such form.
function makeOptimizer(o, lr) {
  if (o.name === 'sgd' && !(o.momentum > 0)) return tf.train.sgd(lr);
  if (o.name === 'sgd' && o.form === 'pytorch') return tf.train.momentum(lr, o.momentum, !!o.nesterov);
  if (o.name === 'adam' && o.placement === 'bias_corrected') return tf.train.adam(lr, o.beta1, o.beta2, o.epsilon);
  return null;
}

function setLearningRate(opt, o, lr) {
  if (o.name === 'adam') opt.learningRate = lr; else opt.setLearningRate(lr);
}

async function main() {
  const args = process.argv.slice(2);
  if (args.length === 0 || args.length % 2) throw new Error('usage: run-case.js CASE_DIR ANSWER.json [CASE_DIR ANSWER.json ...]');
  await tf.setBackend('cpu');
  for (let i = 0; i < args.length; i += 2) tf.tidy(() => runCase(args[i], args[i + 1]));
}

function runCase(caseDir, answerPath) {
  const c = JSON.parse(fs.readFileSync(path.join(caseDir, 'case.json'), 'utf8'));
  const reference = `tensorflow.js ${tf.version_core} (cpu backend)`;
  if (c.loss.endsWith('_logits')) {
    fs.writeFileSync(answerPath, JSON.stringify({ reference, unsupported: 'TensorFlow.js computes cross-entropy from clipped probabilities: it caches no logits' }));
    return;
  }
  const opt = makeOptimizer(c.optimizer, c.learning_rates[0]);
  if (opt === null) {
    fs.writeFileSync(answerPath, JSON.stringify({ reference, unsupported: `TensorFlow.js has no ${c.optimizer.name} in the ${c.optimizer.form || c.optimizer.placement} form` }));
    return;
  }
  const model = buildModel(c.model);
  model.setWeights(c.weights.map(w => load(caseDir, w.file)));
  const vars = model.trainableWeights.map(w => w.read());
  const loss = lossFunction(c.loss);
  const losses = [];
  let gradients = null;
  c.batches.forEach((b, i) => {
    const x = load(caseDir, b.x), y = load(caseDir, b.y);
    setLearningRate(opt, c.optimizer, c.learning_rates[i]);
    const f = () => loss(y, model.apply(x, { training: true }));
    if (i === 0) {
      const { grads } = tf.variableGrads(f, vars);
      gradients = vars.map((v, k) => ({ name: c.weights[k].name, values: Array.from(grads[v.name].dataSync()) }));
    }
    const value = opt.minimize(f, true, vars);
    losses.push(value.dataSync()[0]);
  });
  const weights = model.getWeights().map((w, k) => ({ name: c.weights[k].name, values: Array.from(w.dataSync()) }));
  fs.writeFileSync(answerPath, JSON.stringify({ reference, losses, gradients, weights }));
  opt.dispose();
  model.dispose();
}

main().catch(e => { process.stderr.write(`tfjs reference: ${e.message}\n`); process.exit(1); });
