// libtorch's CPU allocator, replaced: it keeps large freed blocks for reuse, and counts the
// bytes the engine holds (live now, and the peak) so that memory claims can be measured.
//
// glibc gives each worker thread its own arena, and an arena's heap holds at most 64 MiB:
// a larger block (a box-CNN batch of 1,024 images needs several) is mapped with mmap on
// every allocation and unmapped on every free, so each step zero-faults hundreds of MiB
// and the two workers of a sweep serialise on the kernel's memory lock (measured: a
// 2-worker sweep at batch 1,024 spent 27 s in the kernel against 11 s of arithmetic).
// Blocks of LARGE bytes and more are therefore kept here, by rounded size, and handed out
// again; smaller ones are allocated and freed as libtorch's default allocator does
// (posix_memalign, 64-byte aligned). What is handed out is uninitialised memory either way
// (as at::empty promises), so results do not change. Idle blocks are capped at IDLE_CAP
// bytes; beyond that a freed block is returned to the system, and the trainer returns all
// idle blocks after each trial (large_blocks_release), so one trial's sizes never linger.
#include <c10/core/CPUAllocator.h>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace lrbs {
namespace {
constexpr size_t LARGE = size_t(16) << 20;
constexpr size_t GRAIN = size_t(2) << 20;
constexpr size_t IDLE_CAP = size_t(4) << 30;
constexpr size_t HEADER = 64;  // keeps the data 64-byte aligned, as c10's allocator does

std::mutex mutex;
std::unordered_map<size_t, std::vector<void*>> idle;  // rounded size -> blocks
size_t idle_bytes = 0;
std::atomic<int64_t> reused{0};

std::atomic<int64_t> live{0};  // bytes handed out and not yet freed
std::atomic<int64_t> peak{0};  // the most live bytes since the last reset

// Every block carries a header before its data: [0] its size (rounded when it is kept for
// reuse), [1] 1 when it is kept for reuse, 0 when it goes back to the system. Data and context
// are the same pointer, so libtorch's raw_allocate/raw_deallocate work too.
struct Header {
  size_t size;
  size_t cached;
};

void count(int64_t bytes) {
  const int64_t now = live.fetch_add(bytes) + bytes;
  int64_t high = peak.load();
  while (now > high && !peak.compare_exchange_weak(high, now)) {}
}

void release(void* data) {
  void* base = static_cast<char*>(data) - HEADER;
  const Header header = *static_cast<Header*>(base);
  count(-static_cast<int64_t>(header.size));
  const size_t size = header.size;
  if (header.cached != 0) {
    std::lock_guard<std::mutex> lock(mutex);
    if (idle_bytes + size <= IDLE_CAP) {
      idle[size].push_back(base);
      idle_bytes += size;
      return;
    }
  }
  std::free(base);
}

void* take(size_t n) {
  const bool large = n >= LARGE;
  const size_t size = large ? (n + GRAIN - 1) / GRAIN * GRAIN : n;
  void* base = nullptr;
  if (large) {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = idle.find(size);
    if (it != idle.end() && !it->second.empty()) {
      base = it->second.back();
      it->second.pop_back();
      idle_bytes -= size;
      reused.fetch_add(1);
    }
  }
  if (base == nullptr) {
    if (posix_memalign(&base, HEADER, size + HEADER) != 0) throw std::bad_alloc();
    *static_cast<Header*>(base) = {size, large ? size_t(1) : size_t(0)};
  }
  count(static_cast<int64_t>(size));
  return static_cast<char*>(base) + HEADER;
}

struct CpuAllocator final : c10::Allocator {
  c10::DataPtr allocate(size_t n) const override {
    void* data = take(n);
    return {data, data, &release, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &release; }
};

// Installed when the shim loads (after libtorch, which it links), above the default's
// priority. A static object defined after the cache's own statics, so they exist first.
struct Installer {
  Installer() { c10::SetCPUAllocator(new CpuAllocator(), 1); }
} installer;
}  // namespace

int64_t large_blocks_idle_bytes() {
  std::lock_guard<std::mutex> lock(mutex);
  return static_cast<int64_t>(idle_bytes);
}
int64_t large_blocks_reused() { return reused.load(); }
int64_t memory_live() { return live.load(); }
int64_t memory_peak(bool reset) {
  if (reset) peak.store(live.load());
  return peak.load();
}

int64_t large_blocks_release() {
  std::unordered_map<size_t, std::vector<void*>> blocks;
  int64_t bytes = 0;
  {
    std::lock_guard<std::mutex> lock(mutex);
    blocks.swap(idle);
    bytes = static_cast<int64_t>(idle_bytes);
    idle_bytes = 0;
  }
  for (auto& [size, list] : blocks)
    for (void* base : list) std::free(base);
  return bytes;
}
}  // namespace lrbs
