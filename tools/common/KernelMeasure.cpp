//===- KernelMeasure.cpp - check and time compiled kernels ----------------===//
#include "tools/common/KernelMeasure.h"

#include "compiler/packing/Layouts.h"
#include "tests/reference/Reference.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>

namespace tern::measure {
namespace {

using Clock = std::chrono::steady_clock;
constexpr double kSampleSeconds = 0.02;
constexpr double kWarmupSeconds = 0.05; // per kernel
constexpr float kWeightScale = 0.8f;
constexpr int64_t kWordsPerLine = 64 / 8;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct ReadTask {
  const uint64_t *data;
  int64_t words;
  int chunks;
  int streams;           // sequential streams read side by side per chunk
  int64_t prefetchWords; // software prefetch distance (0: none)
  std::vector<uint64_t> sums;
};

/// Reads one word of every 64-byte line of its share of the buffer, split
/// into `streams` sequential streams read side by side: DRAM moves whole
/// lines, and several streams keep more of them in flight. Prefetches carry
/// LLVM's `Locality` hint.
template <int Locality>
void readLines(void *closure, int64_t begin, int64_t end) {
  auto *t = static_cast<ReadTask *>(closure);
  constexpr int kMaxStreams = 4;
  for (int64_t c = begin; c < end; ++c) {
    int64_t lo = t->words * c / t->chunks;
    int64_t span = (t->words / t->chunks) / t->streams / kWordsPerLine * kWordsPerLine;
    uint64_t sums[kMaxStreams] = {};
    for (int64_t i = 0; i < span; i += kWordsPerLine)
      for (int s = 0; s < t->streams; ++s) {
        const uint64_t *stream = t->data + lo + s * span;
        if (t->prefetchWords > 0 && i + t->prefetchWords < span)
          __builtin_prefetch(stream + i + t->prefetchWords, 0, Locality);
        sums[s] += stream[i];
      }
    t->sums[c] = sums[0] + sums[1] + sums[2] + sums[3];
  }
}

} // namespace

double measureClockGHz() {
  constexpr int64_t kAdds = 200'000'000;
  double best = 0;
  for (int round = 0; round < 5; ++round) {
    uint64_t x = static_cast<uint64_t>(round);
    uint64_t step = 1;
    asm volatile("" : "+r"(step)); // a register the compiler cannot see through
    auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < kAdds; i += 4) {
      // Four register adds per iteration, each waiting for the last. Adds of
      // an immediate would not do: Intel's renamer folds chains of those.
      x += step;
      asm volatile("" : "+r"(x));
      x += step;
      asm volatile("" : "+r"(x));
      x += step;
      asm volatile("" : "+r"(x));
      x += step;
      asm volatile("" : "+r"(x));
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, static_cast<double>(kAdds) / seconds / 1e9);
  }
  return best;
}

double measureBandwidth(tern_runtime *runtime) {
  int64_t words = kStreamBytes / 8;
  std::unique_ptr<uint64_t[]> buffer(new uint64_t[words]);
  for (int64_t i = 0; i < words; ++i)
    buffer[i] = static_cast<uint64_t>(i);
  ReadTask task{buffer.get(), words, tern_runtime_num_threads(runtime), 1, 0, {}};
  task.sums.resize(task.chunks);
  double best = 0;
  // Which prefetch reads fastest depends on the core: prefetchnta streams
  // on AMD's, but on an Intel Xeon here 4 streams read 26.6 GB/s with it or
  // without prefetches and 30.1 with prefetches into L1 1 KiB ahead.
  struct Config {
    int64_t prefetchWords;
    tern_task_fn read;
  };
  constexpr Config kConfigs[] = {{0, readLines<0>},   {128, readLines<0>}, {512, readLines<0>},
                                 {128, readLines<2>}, {512, readLines<2>}, {128, readLines<3>},
                                 {512, readLines<3>}};
  for (int streams : {1, 4})
    for (const Config &config : kConfigs) {
      task.streams = streams;
      task.prefetchWords = config.prefetchWords;
      for (int rep = 0; rep < 3; ++rep) {
        auto t0 = Clock::now();
        tern_parallel_for(runtime, task.chunks, config.read, &task);
        best = std::max(best, static_cast<double>(kStreamBytes) / secondsSince(t0) / 1e9);
      }
    }
  volatile uint64_t sink = 0;
  for (uint64_t s : task.sums)
    sink = sink + s;
  return best;
}

WeightStream::WeightStream() : data_(new uint8_t[kStreamBytes]) {
  std::mt19937_64 rng(7);
  for (int64_t i = 0; i < kStreamBytes; i += 8) {
    uint64_t word = rng();
    std::memcpy(data_.get() + i, &word, 8);
  }
}

int64_t WeightStream::slices(int64_t bytes) const {
  return std::max<int64_t>(1, kStreamBytes / ((bytes + 63) / 64 * 64));
}

const uint8_t *WeightStream::weightsFor(int64_t call, int64_t bytes) const {
  // Consecutive calls read disjoint, cache-line aligned slices that wrap
  // around the buffer; a kernel larger than the buffer reuses its start.
  int64_t stride = (bytes + 63) / 64 * 64;
  if (stride > kStreamBytes)
    return data_.get();
  return data_.get() + (call % slices(bytes)) * stride;
}

CheckedKernel::~CheckedKernel() {
  if (kernel_)
    tern_kernel_unload(kernel_);
}

ReferenceCase::ReferenceCase(int64_t n, int64_t k, int64_t m) : n(n), k(k), m(m) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> trit(-1, 1);
  w.resize(n * k);
  for (int8_t &v : w)
    v = static_cast<int8_t>(trit(rng));
  std::normal_distribution<float> normal;
  std::vector<float> x(m * k);
  for (float &v : x)
    v = normal(rng);
  a.resize(m * k);
  aScale.resize(m);
  reference::quantizeRows(x.data(), m, k, a.data(), aScale.data());
  expected.resize(m * n);
  reference::ternaryMatmul(a.data(), aScale.data(), w.data(), kWeightScale, expected.data(), m, n,
                           k);
}

std::unique_ptr<CheckedKernel> CheckedKernel::load(const std::string &dir, tern_runtime *runtime,
                                                   const ReferenceCase &reference,
                                                   std::string &error, bool &invalid) {
  invalid = false;
  std::unique_ptr<CheckedKernel> self(new CheckedKernel());
  self->reference_ = &reference;
  self->kernel_ = tern_kernel_load(dir.c_str());
  if (!self->kernel_) {
    error = tern_last_error();
    return nullptr;
  }
  self->info_ = tern_kernel_get_info(self->kernel_);
  const tern_kernel_info &info = *self->info_;
  if (info.n != reference.n || info.k != reference.k) {
    error = dir + ": the kernel is " + std::to_string(info.n) + "x" + std::to_string(info.k) +
            ", not " + std::to_string(reference.n) + "x" + std::to_string(reference.k);
    return nullptr;
  }
  std::optional<packing::Format> format = packing::parseFormat(info.layout);
  if (!format) {
    error = dir + ": unknown weight layout '" + info.layout + "'";
    return nullptr;
  }
  packing::LayoutParams layout{*format, info.n, info.k, info.lanes, info.tile_n, info.slabs};
  if (packing::packedBytes(layout) != info.packed_bytes) {
    error = dir + ": the manifest's packed_bytes does not match its layout";
    return nullptr;
  }
  self->packed_.resize(info.packed_bytes);
  packing::pack(layout, reference.w.data(), self->packed_.data());
  self->gpu_ = std::string(info.target_triple).rfind("nvptx", 0) == 0;
  // A GPU kernel keeps its resident weights in GPU memory.
  if (self->gpu_ && tern_kernel_bind_weights(self->kernel_, self->packed_.data()) != TERN_OK) {
    error = tern_last_error();
    return nullptr;
  }
  self->y_.assign(reference.m * info.n, -1.0f);
  if (tern_kernel_matmul(self->kernel_, runtime, reference.a.data(), reference.aScale.data(),
                         self->packed_.data(), kWeightScale, self->y_.data(),
                         reference.m) != TERN_OK) {
    error = tern_last_error();
    return nullptr;
  }
  if (std::memcmp(reference.expected.data(), self->y_.data(),
                  reference.expected.size() * sizeof(float)) != 0) {
    error = dir + ": the kernel's result differs from the reference";
    invalid = true;
    return nullptr;
  }
  return self;
}

std::string CheckedKernel::describe() const {
  const tern_kernel_info &i = *info_;
  return std::string(i.strategy) + "/" + i.packing + " lanes=" + std::to_string(i.lanes) +
         " tile_n=" + std::to_string(i.tile_n) + " tile_m=" + std::to_string(i.tile_m) +
         " unroll_k=" + std::to_string(i.unroll_k) + " prefetch=" + std::to_string(i.prefetch) +
         " streams=" + std::to_string(i.streams);
}

double CheckedKernel::call(tern_runtime *runtime, const WeightStream *stream, int64_t index) {
  const uint8_t *weights =
      stream ? stream->weightsFor(index, info_->packed_bytes) : packed_.data();
  tern_kernel_matmul(kernel_, runtime, reference_->a.data(), reference_->aScale.data(), weights,
                     kWeightScale, y_.data(), reference_->m);
  return tern_kernel_gpu_seconds(kernel_);
}

bool CheckedKernel::bindStream(const WeightStream &stream, std::string &error) {
  if (!gpu_)
    return true;
  for (int64_t s = 0; s < stream.slices(info_->packed_bytes); ++s)
    if (tern_kernel_bind_weights(kernel_, stream.weightsFor(s, info_->packed_bytes)) != TERN_OK)
      return error = tern_last_error(), false;
  return true;
}

double CheckedKernel::weightGBs(double seconds) const {
  return static_cast<double>(info_->packed_bytes) / seconds / 1e9;
}

double CheckedKernel::gops(double seconds) const {
  return 2.0 * static_cast<double>(reference_->m * info_->n * info_->k) / seconds / 1e9;
}

std::vector<Timing> timeInterleaved(const std::vector<CheckedKernel *> &kernels,
                                    tern_runtime *runtime, const WeightStream *stream,
                                    int samples) {
  int64_t call = 0;
  std::vector<int64_t> batch(kernels.size());
  for (size_t i = 0; i < kernels.size(); ++i) {
    int64_t calls = 0;
    auto start = Clock::now();
    while (secondsSince(start) < kWarmupSeconds || calls == 0) {
      kernels[i]->call(runtime, stream, call++);
      ++calls;
    }
    double perCall = secondsSince(start) / static_cast<double>(calls);
    batch[i] = std::max<int64_t>(1, static_cast<int64_t>(kSampleSeconds / perCall));
  }
  std::vector<std::vector<double>> perKernel(kernels.size());
  for (int s = 0; s < samples; ++s)
    for (size_t i = 0; i < kernels.size(); ++i) {
      auto t0 = Clock::now();
      double gpuSeconds = 0;
      for (int64_t b = 0; b < batch[i]; ++b)
        gpuSeconds += kernels[i]->call(runtime, stream, call++);
      double seconds = kernels[i]->onGpu() ? gpuSeconds : secondsSince(t0);
      perKernel[i].push_back(seconds / static_cast<double>(batch[i]));
    }
  std::vector<Timing> timings;
  for (std::vector<double> &v : perKernel) {
    std::sort(v.begin(), v.end());
    timings.push_back({v[v.size() / 2], v.front(), v.back()});
  }
  return timings;
}

} // namespace tern::measure
