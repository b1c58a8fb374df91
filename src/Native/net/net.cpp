// The net and its training step. Nothing here records an autograd graph: each layer
// writes its own gradients (layer.h), the loss gives the last layer's (loss.cpp), and
// the optimizer updates every parameter in place (optimizer.h).
#include "net.h"
#include <ATen/CPUGeneratorImpl.h>

namespace lrbs::net {

Registry<LayerFactory>& layers() {
  static Registry<LayerFactory> r("layer");
  return r;
}

Batch Batch::rows_range(int64_t start, int64_t count) const {
  // rows are dim 0 of shared inputs and of per-member images (N, K*C, H, W); dim 1 of (K, N, F)
  const int64_t xdim = (!x.shared && x.t.dim() == 3) ? 1 : 0;
  const int64_t ydim = x.shared ? 0 : 1;
  return {{x.t.narrow(xdim, start, count), x.shared}, y.narrow(ydim, start, count), count};
}

// Adds a batch of `size` rows to (K, 3) totals: its mean loss times the rows, its metric sum, the rows.
static void add_totals(at::Tensor& totals, const LossOutput& out, int64_t size) {
  totals.select(1, Net::kLossSum).add_(out.loss, static_cast<double>(size));
  totals.select(1, Net::kMetricSum).add_(out.metric);
  totals.select(1, Net::kExamples).add_(static_cast<double>(size));
}

// One layer of a description: its kind built from the registry with its settings and activation.
static std::unique_ptr<Layer> make_layer(const lrbs_layer& s, int i, int n_layers, int64_t members, bool shared) {
  if (s.kind == nullptr || s.activation == nullptr) throw std::invalid_argument("layer " + std::to_string(i) + ": null kind or activation");
  Settings settings("layer " + std::to_string(i) + " (" + s.kind + ")", s.settings, s.n_settings);
  const Activation& act = activations().get(s.activation);
  if (act.name == "softmax" && i != n_layers - 1) settings.fail("softmax is supported on the last layer only");
  const double alpha = act.uses_alpha ? settings.number("alpha") : 0.0;
  LayerArgs args{settings, act, alpha, members, shared, settings.integer("in_channels"), settings.integer("in_height"), settings.integer("in_width")};
  std::unique_ptr<Layer> layer = lrbs::net::layers().get(s.kind)(args);
  settings.finish();
  if (act.name != "linear" && !layer->has_activation()) settings.fail("has no activation; got '" + act.name + "'");
  return layer;
}

at::Tensor forward_constant(const lrbs_layer* layers, int n_layers, const at::Tensor& x) {
  if (n_layers < 1) throw std::invalid_argument("a constant prefix needs at least one layer");
  std::vector<at::Generator> generators;
  Context ctx{1, false, &generators};
  Act a{x, true};
  std::vector<std::unique_ptr<Layer>> built;
  for (int i = 0; i < n_layers; ++i) {
    built.push_back(make_layer(layers[i], i, n_layers, 1, true));
    if (!built.back()->params().empty() || !built.back()->buffers().empty())
      throw std::invalid_argument("layer " + std::to_string(i) + " has weights: it is not part of a constant prefix");
    a = built.back()->forward(a, ctx);
  }
  return a.t.contiguous();
}

Net::Net(const lrbs_layer* layers, int n_layers, int64_t members, bool shared_input, const std::string& loss, const lrbs_optimizer& optimizer,
         const uint64_t* seeds)
    : K_(members), shared_input_(shared_input), loss_(losses().get(loss)) {
  if (members < 1) throw std::invalid_argument("a net needs at least one member, got " + std::to_string(members));
  if (n_layers < 1) throw std::invalid_argument("a net needs at least one layer");
  bool shared = shared_input;  // shared until the first layer with weights, or a dropout
  bool seen_weights = false;
  for (int i = 0; i < n_layers; ++i) {
    std::unique_ptr<Layer> layer = make_layer(layers[i], i, n_layers, K_, shared);
    const auto ps = layer->params();
    if (!ps.empty() && !seen_weights) {
      seen_weights = true;
      first_weighted_ = layers_.size();
    }
    if (layer->separates_members()) shared = false;
    params_.insert(params_.end(), ps.begin(), ps.end());
    arrays_.insert(arrays_.end(), ps.begin(), ps.end());
    for (Param* b : layer->buffers()) arrays_.push_back(b);
    layers_.push_back(std::move(layer));
  }
  for (size_t i = 0; i < layers_.size(); ++i) layers_[i]->set_backward_needed(i >= first_weighted_);
  const auto& last = *layers_.back();
  if (last.outputs() < 1) throw std::invalid_argument("the last layer must be Dense");
  loss_.check(activations().get(layers[n_layers - 1].activation).name, last.outputs());
  optimizer_ = make_optimizer(optimizer);
  for (int64_t k = 0; k < K_; ++k) generators_.push_back(at::make_generator<at::CPUGeneratorImpl>(seeds[k]));
  stats = at::zeros({K_, 3}, at::kDouble);
  last_loss = at::zeros({K_}, at::kDouble);
  gns_small = at::zeros({K_}, at::kDouble);
  gns_big = at::zeros({K_}, at::kDouble);
}

Batch Net::gather(const at::Tensor& x, const at::Tensor& y, const at::Tensor& index, int64_t start, int64_t size) const {
  if (!index.defined()) {
    if (!shared_input_) throw std::invalid_argument("a net with per-member inputs needs a (members, n) index");
    return {{x.narrow(0, start, size), true}, y.narrow(0, start, size), size};
  }
  if (shared_input_) {
    const auto rows = index.narrow(0, start, size);
    return {{x.index_select(0, rows), true}, y.index_select(0, rows), size};
  }
  if (index.dim() != 2 || index.size(0) != K_) throw std::invalid_argument("per-member index must be (" + std::to_string(K_) + ", n)");
  const auto rows = index.narrow(1, start, size).reshape({-1});
  auto xs = x.index_select(0, rows);
  auto ys = y.index_select(0, rows);
  auto yshape = ys.sizes().vec();
  yshape[0] = size;
  yshape.insert(yshape.begin(), K_);
  if (xs.dim() == 2) return {{xs.view({K_, size, -1}), false}, ys.view(yshape), size};
  // images: (K*N, C, H, W) -> (N, K*C, H, W)
  const int64_t c = xs.size(1), h = xs.size(2), w = xs.size(3);
  return {{xs.view({K_, size, c, h, w}).transpose(0, 1).reshape({size, K_ * c, h, w}), false}, ys.view(yshape), size};
}

// Evaluation data is the same for every member (one test partition); targets stay shared.
Act Net::evaluation_input(const at::Tensor& x, int64_t start, int64_t size) const {
  auto xs = x.narrow(0, start, size);
  if (shared_input_) return {xs, true};
  if (xs.dim() == 2) return {xs.unsqueeze(0).expand({K_, -1, -1}), false};
  return {xs.repeat({1, K_, 1, 1}), false};
}

LossOutput Net::forward(const Batch& b, bool training, bool gradient, std::vector<at::Generator>& generators, bool update_state) {
  Context ctx{K_, training, &generators, update_state};
  Act a = b.x;
  for (auto& layer : layers_) a = layer->forward(a, ctx);
  const auto& last = *layers_.back();
  return loss_.forward(last.z().contiguous(), last.a().contiguous(), b.y, gradient);
}

void Net::backward(const at::Tensor& dz) {
  at::Tensor d = dz;
  for (size_t i = layers_.size(); i-- > first_weighted_;) d = layers_[i]->backward(d, i == layers_.size() - 1, i > first_weighted_);
}

at::Tensor Net::grad_sqnorms() const {
  auto total = at::zeros({K_}, at::kDouble);
  for (const Param* p : params_) {
    const auto g = p->by_member(p->grad, K_).to(at::kDouble).square();
    total.add_(p->kind == ParamKind::DenseKernelWide ? g.sum(at::IntArrayRef{0, 2}) : g.sum(1));
  }
  return total;
}

void Net::step(const at::Tensor& x, const at::Tensor& y, const at::Tensor& index, int64_t start, int64_t size, const std::vector<double>& lrs,
               int64_t gns_micro) {
  if (static_cast<int64_t>(lrs.size()) != K_) throw std::invalid_argument("one learning rate per member is needed");
  const Batch b = gather(x, y, index, start, size);
  if (gns_micro > 0) {
    // |G_b|^2 averaged over the micro-batches of this batch. Their dropout masks come from
    // copies of the generators, so training draws exactly what it would draw without this.
    if (size % gns_micro != 0) throw std::invalid_argument("noise scale micro-batch must divide the batch");
    std::vector<at::Generator> copies;
    for (const auto& g : generators_) copies.push_back(g.clone());
    auto small = at::zeros({K_}, at::kDouble);
    for (int64_t j = 0; j < size / gns_micro; ++j) {
      backward(forward(b.rows_range(j * gns_micro, gns_micro), true, true, copies, false).dz);
      small.add_(grad_sqnorms());
    }
    gns_small = small.div_(static_cast<double>(size / gns_micro));
  }
  const auto out = forward(b, true, true, generators_);
  backward(out.dz);
  if (gns_micro > 0) gns_big = grad_sqnorms();
  optimizer_->step(params_, Rates{lrs}, K_);
  add_totals(stats, out, size);
  last_loss = out.loss;
}

// Evaluation and prediction take chunk / K rows per forward pass, so that a pack of K members
// holds about what one trial holds for a chunk of rows (members of different seeds each get a
// copy of the rows), not K times that. With whole chunks, a pack of 6 box CNNs of two seeds
// peaked at 2.6 GiB.
static int64_t rows_per_pass(int64_t chunk, int64_t members) { return std::max<int64_t>(1, chunk / members); }

at::Tensor Net::evaluate(const at::Tensor& x, const at::Tensor& y, int64_t chunk) {
  auto totals = at::zeros({K_, 3}, at::kDouble);
  const int64_t n = x.size(0);
  chunk = rows_per_pass(chunk, K_);
  for (int64_t start = 0; start < n; start += chunk) {
    const int64_t size = std::min(chunk, n - start);
    const auto out = forward({evaluation_input(x, start, size), y.narrow(0, start, size), size}, false, false, generators_);
    add_totals(totals, out, size);
  }
  return totals;
}

at::Tensor Net::predict(const at::Tensor& x, int64_t chunk) {
  std::vector<at::Tensor> parts;
  const int64_t n = x.size(0);
  Context ctx{K_, false, &generators_};
  chunk = rows_per_pass(chunk, K_);
  for (int64_t start = 0; start < n; start += chunk) {
    const int64_t size = std::min(chunk, n - start);
    Act a = evaluation_input(x, start, size);
    for (auto& layer : layers_) a = layer->forward(a, ctx);
    parts.push_back(layers_.back()->a().contiguous());
  }
  return at::cat(parts, 1);
}

void Net::keep_members(const std::vector<int64_t>& members) {
  if (members.empty()) throw std::invalid_argument("keep at least one member");
  for (int64_t m : members)
    if (m < 0 || m >= K_) throw std::invalid_argument("member " + std::to_string(m) + " out of range 0.." + std::to_string(K_ - 1));
  const auto idx = at::tensor(members, at::kLong);
  optimizer_->keep_members(params_, idx, K_);
  for (auto& layer : layers_) layer->keep_members(idx, K_);
  std::vector<at::Generator> kept;
  for (int64_t m : members) kept.push_back(generators_[m]);
  generators_ = std::move(kept);
  stats = stats.index_select(0, idx);
  last_loss = last_loss.index_select(0, idx);
  gns_small = gns_small.index_select(0, idx);
  gns_big = gns_big.index_select(0, idx);
  K_ = static_cast<int64_t>(members.size());
}

}  // namespace lrbs::net
