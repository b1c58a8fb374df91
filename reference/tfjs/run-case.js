#!/usr/bin/env node
// TensorFlow.js reference for lrbs parity cases (format: reference/CASES.md).
//   node reference/tfjs/run-case.js CASE_DIR ANSWER.json [CASE_DIR ANSWER.json ...]
// Builds the case's model with TensorFlow.js's own Keras layers, loads the case's
// weights, and trains on the case's batches with TensorFlow.js's own optimizers, each built
// from the case's `tfjs` entries (CASES.md); nothing here re-implements a layer or an update
// rule. A layer or optimizer the case marks tfjs_unsupported (TF.js's momentum is the PyTorch
// form, its Adam adds epsilon after bias correction, it has no weight decay, ...) is answered
// "unsupported" and compared in Python only.
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

// Why a layer or the optimizer has no TensorFlow.js form (its tfjs_unsupported, or no tfjs entry), or null.
function unsupportedReason(c) {
  for (const l of c.model.layers) {
    if (l.tfjs_unsupported) return `layer ${l.type}: ${l.tfjs_unsupported}`;
    if (!l.tfjs) return `layer ${l.type}: the case has no tfjs entry for it`;
  }
  const o = c.optimizer;
  if (o.tfjs_unsupported) return `optimizer ${o.name}: ${o.tfjs_unsupported}`;
  if (!o.tfjs) return `optimizer ${o.name}: the case has no tfjs entry for it`;
  return null;
}

// The model from each layer's tfjs entry: tf.layers[entry.layer](entry.config), the input shape on the
// first, and tf.layers[entry.activation.name](entry.activation.config) after it where TF.js has no such
// activation string. Returns the model and the layers that own the case's weights, in case order.
function buildModel(spec) {
  const model = tfl.sequential();
  const owners = [];
  spec.layers.forEach((l, i) => {
    const e = l.tfjs;
    if (typeof tfl.layers[e.layer] !== 'function') throw new Error(`layer ${l.type}: tf.layers has no '${e.layer}'`);
    const layer = tfl.layers[e.layer]({ ...(e.config || {}), ...(i === 0 ? { inputShape: spec.input } : {}) });
    model.add(layer);
    owners.push(layer);
    if (e.activation) {
      if (typeof tfl.layers[e.activation.name] !== 'function') throw new Error(`layer ${l.type}: tf.layers has no '${e.activation.name}'`);
      model.add(tfl.layers[e.activation.name](e.activation.config || {}));
    }
  });
  return { model, owners };
}

// The case's weights matched to the layers' variables, in case order: a layer's weights are its
// trainable then its non-trainable ones (kernel, bias; gamma, beta, moving_mean, moving_variance),
// the order the case lists them in. A role the case names must be the variable's own name.
function caseVariables(c, owners) {
  const vars = [].concat(...owners.map(l => l.weights));
  if (vars.length !== c.weights.length)
    throw new Error(`the TF.js model has ${vars.length} weights, the case lists ${c.weights.length}`);
  return vars.map((v, k) => {
    const w = c.weights[k], own = v.originalName.split('/').pop();
    if (w.role && w.role !== own) throw new Error(`weight ${k} (${w.name}): the case says ${w.role}, TF.js has ${v.originalName}`);
    const trainable = w.trainable === undefined ? !['moving_mean', 'moving_variance'].includes(own) : w.trainable;
    if (trainable !== v.trainable) throw new Error(`weight ${k} (${w.name}): trainable ${trainable} in the case, ${v.trainable} in TF.js`);
    return v;
  });
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

// The optimizer from the case's tfjs entry: tf.train[fn](...args), "lr" standing for the first learning rate.
function makeOptimizer(o, lr) {
  const { fn, args } = o.tfjs;
  if (typeof tf.train[fn] !== 'function') throw new Error(`optimizer ${o.name}: tf.train has no '${fn}'`);
  return tf.train[fn](...(args || []).map(a => (a === 'lr' ? lr : a)));
}

// tfjs-core 4.x: SGDOptimizer and MomentumOptimizer (which extends it) read the scalar this.c that
// setLearningRate(lr) makes (sgd_optimizer.js applyGradients, momentum_optimizer.js); Adam, RMSProp,
// Adagrad, Adadelta and Adamax have no setLearningRate and read this.learningRate at each applyGradients.
function setLearningRate(opt, lr) {
  if (typeof opt.setLearningRate === 'function') opt.setLearningRate(lr); else opt.learningRate = lr;
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
  const why = unsupportedReason(c);
  if (why !== null) {
    fs.writeFileSync(answerPath, JSON.stringify({ reference, unsupported: why }));
    return;
  }
  const opt = makeOptimizer(c.optimizer, c.learning_rates[0]);
  const { model, owners } = buildModel(c.model);
  const caseVars = caseVariables(c, owners);
  caseVars.forEach((v, k) => v.write(load(caseDir, c.weights[k].file)));
  const trainable = caseVars.map((v, k) => k).filter(k => caseVars[k].trainable);
  const vars = trainable.map(k => caseVars[k].read());
  const loss = lossFunction(c.loss);
  const losses = [];
  let gradients = null;
  c.batches.forEach((b, i) => {
    const x = load(caseDir, b.x), y = load(caseDir, b.y);
    setLearningRate(opt, c.learning_rates[i]);
    // One forward pass a step: batchNormalization moves its statistics in each training-mode call.
    const { value, grads } = tf.variableGrads(() => loss(y, model.apply(x, { training: true })), vars);
    if (i === 0) gradients = trainable.map((k, j) => ({ name: c.weights[k].name, values: Array.from(grads[vars[j].name].dataSync()) }));
    losses.push(value.dataSync()[0]);
    opt.applyGradients(grads);
  });
  const weights = caseVars.map((v, k) => ({ name: c.weights[k].name, values: Array.from(v.read().dataSync()) }));
  fs.writeFileSync(answerPath, JSON.stringify({ reference, losses, gradients, weights }));
  opt.dispose();
  model.dispose();
}

main().catch(e => { process.stderr.write(`tfjs reference: ${e.message}\n`); process.exit(1); });
