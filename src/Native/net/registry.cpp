// Settings by name, and the C ABI of the registries (lrbs_registry_names, lrbs_abi_layout).
#include "registry.h"
#include <cmath>
#include <cstddef>
#include <cstring>
#include "../guard.h"
#include "layer.h"
#include "loss.h"
#include "optimizer.h"

namespace lrbs::net {

Settings::Settings(std::string owner, const lrbs_setting* settings, int count) : owner_(std::move(owner)) {
  if (count < 0 || (count > 0 && settings == nullptr)) fail("null settings");
  for (int i = 0; i < count; ++i) {
    if (settings[i].key == nullptr) fail("a setting without a key");
    if (!values_.emplace(settings[i].key, settings[i].value).second) fail("setting '" + std::string(settings[i].key) + "' given twice");
    read_[settings[i].key] = false;
  }
}

// Every setting reaches the engine through the core (Models/Layers, Optimizers/Kinds.fs), which
// owns the names, defaults and ranges and checks them first: what fails here is an invariant the
// engine needs to stay safe (a missing setting, a size below 1, an input of the wrong rank), and
// a failure is an internal error of lrbs, never a message about the user's input.
void Settings::fail(const std::string& message) const {
  throw std::invalid_argument("internal error: " + owner_ + ": " + message + " (the core should have refused this before the engine saw it)");
}

bool Settings::has(const std::string& key) const { return values_.count(key) != 0; }

double Settings::number(const std::string& key) {
  auto it = values_.find(key);
  if (it == values_.end()) fail("missing setting '" + key + "'");
  read_[key] = true;
  if (!std::isfinite(it->second)) fail("setting '" + key + "' is not finite");
  return it->second;
}

int64_t Settings::integer(const std::string& key) {
  const double v = number(key);
  if (v != std::floor(v)) fail("setting '" + key + "' must be an integer, got " + std::to_string(v));
  return static_cast<int64_t>(v);
}

bool Settings::flag(const std::string& key) {
  const double v = number(key);
  if (v != 0.0 && v != 1.0) fail("setting '" + key + "' must be 0 or 1, got " + std::to_string(v));
  return v == 1.0;
}

void Settings::finish() const {
  for (const auto& [key, read] : read_)
    if (!read) fail("unknown setting '" + key + "'");
}

}  // namespace lrbs::net

namespace {
int write_text(const std::string& text, char* out, int capacity) {
  if (out != nullptr && capacity > 0) {
    const size_t n = std::min<size_t>(text.size(), static_cast<size_t>(capacity - 1));
    std::memcpy(out, text.data(), n);
    out[n] = '\0';
  }
  return static_cast<int>(text.size());
}

int write_layout(std::initializer_list<int64_t> values, int64_t* out, int capacity) {
  if (out == nullptr || capacity < static_cast<int>(values.size())) throw std::invalid_argument("layout buffer too small");
  int i = 0;
  for (int64_t v : values) out[i++] = v;
  return static_cast<int>(values.size());
}
}  // namespace

extern "C" {

int lrbs_registry_names(const char* registry, char* out, int capacity) {
  LRBS_TRY
  if (registry == nullptr) throw std::invalid_argument("null registry name");
  const std::string r = registry;
  using namespace lrbs::net;
  if (r == "layer") return write_text(layers().names(), out, capacity);
  if (r == "activation") return write_text(activations().names(), out, capacity);
  if (r == "loss") return write_text(losses().names(), out, capacity);
  if (r == "optimizer") return write_text(optimizers().names(), out, capacity);
  throw std::invalid_argument("unknown registry '" + r + "'; allowed: layer, activation, loss, optimizer");
  LRBS_CATCH(-1)
}

int lrbs_abi_layout(const char* type, int64_t* out, int capacity) {
  LRBS_TRY
  if (type == nullptr) throw std::invalid_argument("null type name");
  const std::string t = type;
  if (t == "lrbs_setting") return write_layout({sizeof(lrbs_setting), offsetof(lrbs_setting, key), offsetof(lrbs_setting, value)}, out, capacity);
  if (t == "lrbs_layer")
    return write_layout(
        {sizeof(lrbs_layer), offsetof(lrbs_layer, kind), offsetof(lrbs_layer, activation), offsetof(lrbs_layer, settings), offsetof(lrbs_layer, n_settings)},
        out, capacity);
  if (t == "lrbs_optimizer")
    return write_layout({sizeof(lrbs_optimizer), offsetof(lrbs_optimizer, kind), offsetof(lrbs_optimizer, settings), offsetof(lrbs_optimizer, n_settings)}, out,
                        capacity);
  if (t == "lrbs_totals")
    return write_layout({sizeof(lrbs_totals), offsetof(lrbs_totals, loss_sum), offsetof(lrbs_totals, metric_sum), offsetof(lrbs_totals, examples)}, out,
                        capacity);
  throw std::invalid_argument("unknown ABI type '" + t + "'; allowed: lrbs_setting, lrbs_layer, lrbs_optimizer, lrbs_totals");
  LRBS_CATCH(-1)
}

int lrbs_optimizer_state_slots(const lrbs_optimizer* optimizer) {
  LRBS_TRY
  if (optimizer == nullptr) throw std::invalid_argument("null optimizer");
  return lrbs::net::make_optimizer(*optimizer)->state_count();
  LRBS_CATCH(-1)
}
}
