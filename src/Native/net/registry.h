// Layers, activations, losses and optimizers are registered by name: each kind's own file
// adds itself (LRBS_REGISTER), the host asks for the names (lrbs_registry_names) and checks
// at load that they are the ones it defines, and every setting crosses the C ABI as a named
// number (lrbs_setting). No integer code is shared by hand between the two sides.
#pragma once
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>
#include "../lrbs_native.h"

namespace lrbs::net {

// The named settings of one layer or optimizer. Every key must be read exactly once by the
// kind it was given to: `finish` rejects any key the kind did not ask for, naming it.
class Settings {
 public:
  Settings(std::string owner, const lrbs_setting* settings, int count);
  bool has(const std::string& key) const;
  double number(const std::string& key);
  int64_t integer(const std::string& key);
  bool flag(const std::string& key);
  // Throws std::invalid_argument naming the first key nobody read.
  void finish() const;
  const std::string& owner() const { return owner_; }
  [[noreturn]] void fail(const std::string& message) const;

 private:
  std::string owner_;
  std::map<std::string, double> values_;
  mutable std::map<std::string, bool> read_;
};

// name -> value, in name order, with an error naming what is registered.
template <class T>
class Registry {
 public:
  explicit Registry(std::string what) : what_(std::move(what)) {}
  bool add(const std::string& name, T value) {
    if (!items_.emplace(name, std::move(value)).second) throw std::logic_error(what_ + " '" + name + "' registered twice");
    return true;
  }
  const T& get(const std::string& name) const {
    auto it = items_.find(name);
    if (it == items_.end()) throw std::invalid_argument("unknown " + what_ + " '" + name + "'; registered: " + names());
    return it->second;
  }
  std::string names() const {
    std::string out;
    for (const auto& [name, _] : items_) out += (out.empty() ? "" : ",") + name;
    return out;
  }

 private:
  std::string what_;
  std::map<std::string, T> items_;
};

#define LRBS_CONCAT_(a, b) a##b
#define LRBS_CONCAT(a, b) LRBS_CONCAT_(a, b)
// Registers `value` under `name` in `registry()` when the library loads.
#define LRBS_REGISTER(registry, name, value) static const bool LRBS_CONCAT(lrbs_registered_, __LINE__) = registry().add(name, value)

}  // namespace lrbs::net
