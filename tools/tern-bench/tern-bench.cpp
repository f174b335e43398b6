//===- tern-bench.cpp - measure compiled kernels and the machine ----------===//
//
//   tern-bench bandwidth [--threads T]
//   tern-bench kernel DIR... [--m M] [--threads T] [--json FILE]
//
// Every kernel is first checked bit-exact against tests/reference, then timed
// in process: warm-up, then samples of at least 20 ms each, reporting the
// median call time and the spread. With --m 1 the weights stream from DRAM as
// in real decoding: enough packed copies to exceed the last-level cache are
// used in turn. Throughput is reported as weight GB/s, the fraction of the
// memory bandwidth measured in the same run, and GOP/s. Machines shared with
// other work are noisy, so the fraction compares like with like: the best
// sample against the best bandwidth pass.
//
//===----------------------------------------------------------------------===//
#include "compiler/packing/Layouts.h"
#include "runtime/include/tern/runtime.h"
#include "tests/reference/Reference.h"
#include "tools/common/Args.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace tern;

namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kStreamBytes = 512ll << 20; // well beyond any L3 here
constexpr double kSampleSeconds = 0.02;
constexpr int kSamples = 15;

int fail(const std::string &message) {
  std::fprintf(stderr, "tern-bench: error: %s\n", message.c_str());
  return 1;
}

struct Timing {
  double median = 0, min = 0, max = 0; // seconds per call
};

/// Calls fn(i) repeatedly: warm-up, then kSamples samples of >= 20 ms.
template <typename Fn> Timing timeCalls(Fn fn) {
  int64_t batch = 1, call = 0;
  auto start = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - start).count() < 0.1)
    fn(call++);
  double perCall = 0.1 / static_cast<double>(call);
  batch = std::max<int64_t>(1, static_cast<int64_t>(kSampleSeconds / perCall));
  std::vector<double> samples;
  for (int s = 0; s < kSamples; ++s) {
    auto t0 = Clock::now();
    for (int64_t i = 0; i < batch; ++i)
      fn(call++);
    samples.push_back(std::chrono::duration<double>(Clock::now() - t0).count() / batch);
  }
  std::sort(samples.begin(), samples.end());
  return {samples[samples.size() / 2], samples.front(), samples.back()};
}

struct ReadTask {
  const uint64_t *data;
  int64_t words;
  int chunks;
  int streams;           // sequential streams read side by side per chunk
  int64_t prefetchWords; // software prefetch distance (0: none)
  std::vector<uint64_t> sums;
};

constexpr int64_t kWordsPerLine = 64 / 8;

/// Reads one word of every 64-byte line of its share of the buffer, split
/// into `streams` interleaved sequential streams: DRAM moves whole lines, and
/// several streams keep more of them in flight.
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
          __builtin_prefetch(stream + i + t->prefetchWords, 0, 0);
        sums[s] += stream[i];
      }
    t->sums[c] = sums[0] + sums[1] + sums[2] + sums[3];
  }
}

/// Read bandwidth over a buffer far larger than the caches, in GB/s: the
/// best pass over 1 or 4 streams per thread, with and without software
/// prefetch, so that no kernel can look better than the machine.
double measureBandwidth(tern_runtime *runtime) {
  int64_t words = kStreamBytes / 8;
  std::unique_ptr<uint64_t[]> buffer(new uint64_t[words]);
  for (int64_t i = 0; i < words; ++i)
    buffer[i] = static_cast<uint64_t>(i);
  ReadTask task{buffer.get(), words, tern_runtime_num_threads(runtime), 1, 0, {}};
  task.sums.resize(task.chunks);
  double best = 0;
  constexpr int64_t kPrefetchWords[] = {0, 128, 512};
  for (int config = 0; config < 6; ++config) {
    task.streams = config < 3 ? 1 : 4;
    task.prefetchWords = kPrefetchWords[config % 3];
    for (int rep = 0; rep < 3; ++rep) {
      auto t0 = Clock::now();
      tern_parallel_for(runtime, task.chunks, readLines, &task);
      double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      best = std::max(best, static_cast<double>(kStreamBytes) / seconds / 1e9);
    }
  }
  volatile uint64_t sink = 0;
  for (uint64_t s : task.sums)
    sink = sink + s;
  return best;
}

void printMachine() {
  std::printf("CPU: %s (%s)\nFeatures used by kernels:", tern_cpu_name(), tern_host_arch());
  for (const char *f : {"avx2", "avx512f", "avx512bw", "avx512vnni", "avxvnni", "avx512vbmi", "neon", "dotprod"})
    if (tern_cpu_has_feature(f) == 1)
      std::printf(" %s", f);
  std::printf("\n");
}

struct KernelRow {
  std::string dir;
  int64_t n, k, m;
  std::string params;
  Timing timing;
  double weightGBs, gops, bandwidthFraction;
};

/// Loads, checks and times one kernel. Returns false (with a message) when
/// it cannot be loaded or is not bit-exact.
bool benchKernel(const std::string &dir, tern_runtime *runtime, int64_t m, double bandwidth,
                 KernelRow &row, std::string &error) {
  tern_kernel *kernel = tern_kernel_load(dir.c_str());
  if (!kernel) {
    error = tern_last_error();
    return false;
  }
  std::unique_ptr<tern_kernel, void (*)(tern_kernel *)> owner(kernel, tern_kernel_unload);
  const tern_kernel_info *info = tern_kernel_get_info(kernel);
  std::optional<packing::Format> format = packing::parseFormat(info->layout);
  if (!format) {
    error = dir + ": tern-bench does not know weight layout '" + info->layout + "'";
    return false;
  }
  packing::LayoutParams layout{*format, info->n, info->k, info->lanes, info->tile_n};
  if (packing::packedBytes(layout) != info->packed_bytes) {
    error = dir + ": the manifest's packed_bytes does not match its layout";
    return false;
  }

  std::mt19937 rng(42);
  std::uniform_int_distribution<int> trit(-1, 1);
  std::vector<int8_t> w(info->n * info->k);
  for (int8_t &v : w)
    v = static_cast<int8_t>(trit(rng));
  int64_t bytes = info->packed_bytes;
  int64_t copies = m == 1 ? std::max<int64_t>(2, (kStreamBytes + bytes - 1) / bytes) : 1;
  std::vector<uint8_t> packed(bytes * copies);
  packing::pack(layout, w.data(), packed.data());
  for (int64_t c = 1; c < copies; ++c)
    std::memcpy(packed.data() + c * bytes, packed.data(), bytes);

  std::normal_distribution<float> normal;
  std::vector<float> x(m * info->k);
  for (float &v : x)
    v = normal(rng);
  std::vector<int8_t> a(m * info->k);
  std::vector<float> aScale(m);
  reference::quantizeRows(x.data(), m, info->k, a.data(), aScale.data());

  std::vector<float> expected(m * info->n), y(m * info->n);
  reference::ternaryMatmul(a.data(), aScale.data(), w.data(), 0.8f, expected.data(), m, info->n,
                           info->k);
  if (tern_kernel_matmul(kernel, runtime, a.data(), aScale.data(), packed.data(), 0.8f, y.data(),
                         m) != TERN_OK) {
    error = tern_last_error();
    return false;
  }
  if (std::memcmp(expected.data(), y.data(), y.size() * sizeof(float)) != 0) {
    error = dir + ": the kernel's result differs from the reference";
    return false;
  }
  row.dir = dir;
  row.n = info->n;
  row.k = info->k;
  row.m = m;
  row.params = std::string(info->strategy) + "/" + info->packing + " lanes=" +
               std::to_string(info->lanes) + " tile_n=" + std::to_string(info->tile_n) +
               " tile_m=" + std::to_string(info->tile_m) + " unroll_k=" + std::to_string(info->unroll_k) +
               " prefetch=" + std::to_string(info->prefetch);
  row.timing = timeCalls([&](int64_t call) {
    const uint8_t *weights = packed.data() + (call % copies) * bytes;
    tern_kernel_matmul(kernel, runtime, a.data(), aScale.data(), weights, 0.8f, y.data(), m);
  });
  row.weightGBs = static_cast<double>(bytes) / row.timing.median / 1e9;
  row.gops = 2.0 * static_cast<double>(m * info->n * info->k) / row.timing.median / 1e9;
  row.bandwidthFraction = static_cast<double>(bytes) / row.timing.min / 1e9 / bandwidth;
  return true;
}

int runKernels(int argc, char **argv) {
  std::vector<std::string> dirs;
  int64_t m = 1, threads = 1;
  std::string jsonPath;
  tools::ArgParser args("tern-bench kernel",
                        "Check kernels written by `ternc kernel` against the reference and "
                        "measure their throughput");
  args.positional(&dirs, "DIR", "kernel artifact directories");
  args.option("m", &m, "M", "activation rows per call (1: weights stream from DRAM)");
  args.option("threads", &threads, "T", "runtime threads");
  args.alias("t", "threads");
  args.option("json", &jsonPath, "FILE", "also write the results as JSON");
  std::string error;
  if (!args.parse(argc, argv, error))
    return fail(error);
  if (args.helpRequested())
    return std::printf("%s", args.help().c_str()), 0;
  if (dirs.empty())
    return fail("no kernel directories given (see --help)");
  if (m < 1 || threads < 1)
    return fail("--m and --threads must be at least 1");

  tern_runtime *runtime = tern_runtime_create(static_cast<int>(threads));
  printMachine();
  double bandwidth = measureBandwidth(runtime);
  std::printf("Memory read bandwidth, %lld thread(s): %.1f GB/s\n\n", static_cast<long long>(threads),
              bandwidth);
  std::printf("%-12s %5s %3s  %-9s %10s %8s %8s %12s %7s %8s  %s\n", "shape NxK", "m", "t", "check",
              "us/call", "best", "spread", "weights GB/s", "of BW", "GOP/s", "kernel");
  std::vector<KernelRow> rows;
  int status = 0;
  for (const std::string &dir : dirs) {
    KernelRow row;
    if (!benchKernel(dir, runtime, m, bandwidth, row, error)) {
      std::fprintf(stderr, "tern-bench: error: %s\n", error.c_str());
      status = 1;
      continue;
    }
    std::printf("%-12s %5lld %3lld  %-9s %10.1f %8.1f %7.1f%% %12.2f %6.0f%% %8.1f  %s\n",
                (std::to_string(row.n) + "x" + std::to_string(row.k)).c_str(),
                static_cast<long long>(m), static_cast<long long>(threads), "bit-exact",
                row.timing.median * 1e6, row.timing.min * 1e6,
                100.0 * (row.timing.max - row.timing.min) / row.timing.median,
                row.weightGBs, 100.0 * row.bandwidthFraction, row.gops, row.params.c_str());
    std::fflush(stdout);
    rows.push_back(row);
  }
  if (!jsonPath.empty()) {
    FILE *f = std::fopen(jsonPath.c_str(), "w");
    if (!f)
      return fail("cannot write " + jsonPath);
    std::fprintf(f, "{\"cpu\": \"%s\", \"threads\": %lld, \"bandwidth_gbs\": %.3f, \"kernels\": [",
                 tern_cpu_name(), static_cast<long long>(threads), bandwidth);
    for (size_t i = 0; i < rows.size(); ++i)
      std::fprintf(f,
                   "%s\n  {\"dir\": \"%s\", \"n\": %lld, \"k\": %lld, \"m\": %lld, "
                   "\"median_us\": %.3f, \"min_us\": %.3f, \"max_us\": %.3f, \"weight_gbs\": %.3f, "
                   "\"gops\": %.3f, \"bandwidth_fraction\": %.4f, \"kernel\": \"%s\"}",
                   i ? "," : "", rows[i].dir.c_str(), static_cast<long long>(rows[i].n),
                   static_cast<long long>(rows[i].k), static_cast<long long>(rows[i].m),
                   rows[i].timing.median * 1e6, rows[i].timing.min * 1e6, rows[i].timing.max * 1e6,
                   rows[i].weightGBs, rows[i].gops, rows[i].bandwidthFraction, rows[i].params.c_str());
    std::fprintf(f, "\n]}\n");
    std::fclose(f);
  }
  tern_runtime_destroy(runtime);
  return status;
}

int runBandwidth(int argc, char **argv) {
  int64_t threads = 1;
  tools::ArgParser args("tern-bench bandwidth",
                        "Measure this machine's memory read bandwidth (the best of 18 passes "
                        "over 512 MiB: 1 or 4 streams per thread, with and without software "
                        "prefetch)");
  args.option("threads", &threads, "T", "threads reading");
  args.alias("t", "threads");
  std::string error;
  if (!args.parse(argc, argv, error))
    return fail(error);
  if (args.helpRequested())
    return std::printf("%s", args.help().c_str()), 0;
  tern_runtime *runtime = tern_runtime_create(static_cast<int>(std::max<int64_t>(threads, 1)));
  printMachine();
  std::printf("Memory read bandwidth, %lld thread(s): %.1f GB/s\n", static_cast<long long>(threads),
              measureBandwidth(runtime));
  tern_runtime_destroy(runtime);
  return 0;
}

const char *kUsage = "tern-bench: measure Tern kernels and this machine\n\n"
                     "  tern-bench kernel DIR... [--m M] [--threads T] [--json FILE]\n"
                     "      check each kernel bit-exact against the reference, then time it\n"
                     "  tern-bench bandwidth [--threads T]\n"
                     "      measure memory read bandwidth\n\n"
                     "Run `tern-bench COMMAND --help` for the options of a command.\n";

} // namespace

int main(int argc, char **argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::printf("%s", kUsage);
    return argc < 2 ? 1 : 0;
  }
  std::string command = argv[1];
  if (command == "kernel")
    return runKernels(argc - 1, argv + 1);
  if (command == "bandwidth")
    return runBandwidth(argc - 1, argv + 1);
  return fail("unknown command '" + command + "' (see --help)");
}
