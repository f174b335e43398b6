//===- tern-bench.cpp - measure compiled kernels and the machine ----------===//
//
//   tern-bench bandwidth [--threads T]
//   tern-bench kernel DIR... [--m M] [--threads T] [--json FILE]
//   tern-bench model DIR [--prompt P] [--tokens N] [--threads T] [--json FILE]
//
// Kernels are first checked bit-exact against tests/reference, then timed
// together in interleaved rounds (tools/common/KernelMeasure.h says how).
// Throughput is reported as weight GB/s, the fraction of the memory bandwidth
// measured in the same run (best sample against best pass), and GOP/s.
//
//===----------------------------------------------------------------------===//
#include "runtime/include/tern/model.h"
#include "runtime/include/tern/runtime.h"
#include "tools/common/Args.h"
#include "tools/common/KernelMeasure.h"
#include "tools/tern-bench/DotPeaks.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace tern;

namespace {

int fail(const std::string &message) {
  std::fprintf(stderr, "tern-bench: error: %s\n", message.c_str());
  return 1;
}

void printMachine() {
  std::printf("CPU: %s (%s)\nFeatures used by kernels:", tern_cpu_name(), tern_host_arch());
  for (const char *f : {"avx2", "avx512f", "avx512bw", "avx512vnni", "avxvnni", "avx512vbmi",
                        "gfni", "amx-int8", "neon", "dotprod"})
    if (tern_cpu_has_feature(f) == 1)
      std::printf(" %s", f);
  std::printf("\n");
}

struct KernelRow {
  std::string dir;
  measure::CheckedKernel *kernel;
  measure::Timing timing;
  double bandwidthFraction;
};

void writeJson(FILE *f, const std::vector<KernelRow> &rows, int64_t threads, double bandwidth,
               const std::string &weightsFrom) {
  std::fprintf(f,
               "{\"cpu\": \"%s\", \"threads\": %lld, \"bandwidth_gbs\": %.3f, \"weights\": "
               "\"%s\", \"kernels\": [",
               tern_cpu_name(), static_cast<long long>(threads), bandwidth, weightsFrom.c_str());
  for (size_t i = 0; i < rows.size(); ++i) {
    const KernelRow &r = rows[i];
    const tern_kernel_info &info = r.kernel->info();
    std::fprintf(f,
                 "%s\n  {\"dir\": \"%s\", \"n\": %lld, \"k\": %lld, \"m\": %lld, "
                 "\"median_us\": %.3f, \"min_us\": %.3f, \"max_us\": %.3f, \"weight_gbs\": %.3f, "
                 "\"gops\": %.3f, \"bandwidth_fraction\": %.4f, \"kernel\": \"%s\"}",
                 i ? "," : "", r.dir.c_str(), static_cast<long long>(info.n),
                 static_cast<long long>(info.k), static_cast<long long>(r.kernel->m()),
                 r.timing.median * 1e6, r.timing.min * 1e6, r.timing.max * 1e6,
                 r.kernel->weightGBs(r.timing.median), r.kernel->gops(r.timing.median),
                 r.bandwidthFraction, r.kernel->describe().c_str());
  }
  std::fprintf(f, "\n]}\n");
}

int runKernels(int argc, char **argv) {
  std::vector<std::string> dirs;
  int64_t m = 1, threads = 1, samples = 15;
  std::string jsonPath, weightsFrom;
  tools::ArgParser args("tern-bench kernel",
                        "Check kernels written by `ternc kernel` bit-exact against the reference, "
                        "then time them in interleaved rounds (so that the noise of a shared "
                        "machine hits all of them alike)");
  args.positional(&dirs, "DIR", "kernel artifact directories");
  args.option("m", &m, "M", "activation rows per call (1: weights stream from DRAM)");
  args.option("threads", &threads, "T", "runtime threads");
  args.alias("t", "threads");
  args.option("samples", &samples, "S", "timed rounds of >= 20 ms per kernel (default 15)");
  args.option("weights", &weightsFrom, "dram|cache",
              "where each call finds its weights: dram (a fresh copy each call, as a model "
              "reads them; the default for --m 1) or cache (the same copy every call, the "
              "default for larger M)");
  args.option("json", &jsonPath, "FILE", "also write the results as JSON");
  if (int rc = args.parseCommandLine(argc, argv); rc >= 0)
    return rc;
  if (dirs.empty())
    return fail("no kernel directories given (see --help)");
  if (weightsFrom.empty())
    weightsFrom = m == 1 ? "dram" : "cache";
  if (weightsFrom != "dram" && weightsFrom != "cache")
    return fail("--weights must be dram or cache, got '" + weightsFrom + "'");
  bool weightsFromDram = weightsFrom == "dram";
  if (m < 1 || threads < 1 || samples < 1)
    return fail("--m, --threads and --samples must be at least 1");

  tern_runtime *runtime = tern_runtime_create(static_cast<int>(threads));
  printMachine();
  double bandwidth = measure::measureBandwidth(runtime);
  std::printf("Memory read bandwidth, %lld thread(s): %.1f GB/s\n", static_cast<long long>(threads),
              bandwidth);
  std::printf("Weights: %s\n\n", weightsFromDram ? "from DRAM (a fresh copy every call)"
                                                 : "from cache (the same copy every call)");
  int status = 0;
  std::string error;
  std::vector<std::unique_ptr<measure::CheckedKernel>> kernels;
  std::map<std::pair<int64_t, int64_t>, std::unique_ptr<measure::ReferenceCase>> references;
  std::vector<KernelRow> rows;
  for (const std::string &dir : dirs) {
    bool invalid = false;
    tern_kernel *peek = tern_kernel_load(dir.c_str());
    if (!peek) {
      std::fprintf(stderr, "tern-bench: error: %s\n", tern_last_error());
      status = 1;
      continue;
    }
    const tern_kernel_info *info = tern_kernel_get_info(peek);
    std::unique_ptr<measure::ReferenceCase> &reference = references[{info->n, info->k}];
    if (!reference)
      reference = std::make_unique<measure::ReferenceCase>(info->n, info->k, m);
    tern_kernel_unload(peek);
    std::unique_ptr<measure::CheckedKernel> kernel =
        measure::CheckedKernel::load(dir, runtime, *reference, error, invalid);
    if (!kernel) {
      std::fprintf(stderr, "tern-bench: error: %s\n", error.c_str());
      status = 1;
      continue;
    }
    rows.push_back({dir, kernel.get(), {}, 0});
    kernels.push_back(std::move(kernel));
  }
  // A model reads each matmul's weights from DRAM once a call. With m = 1
  // that is all a kernel does; with larger m the rows reuse them, and
  // timing them from cache isolates the arithmetic.
  std::unique_ptr<measure::WeightStream> stream;
  if (weightsFromDram)
    stream = std::make_unique<measure::WeightStream>();
  // GPU kernels read their weights from GPU memory, measured against the
  // GPU's own bandwidth.
  double gpuBandwidth = -1;
  if (std::any_of(rows.begin(), rows.end(), [](const KernelRow &r) { return r.kernel->onGpu(); })) {
    gpuBandwidth = tern_gpu_bandwidth();
    if (gpuBandwidth < 0)
      return fail(tern_last_error());
    std::printf("GPU %s memory bandwidth: %.1f GB/s (device-to-device copies)\n\n",
                tern_gpu_arch(), gpuBandwidth);
  }
  for (KernelRow &row : rows)
    if (stream && !row.kernel->bindStream(*stream, error))
      return fail(error);
  std::vector<measure::CheckedKernel *> timed;
  for (KernelRow &row : rows)
    timed.push_back(row.kernel);
  std::vector<measure::Timing> timings =
      measure::timeInterleaved(timed, runtime, stream.get(), static_cast<int>(samples));

  std::printf("%-12s %5s %3s  %-9s %10s %8s %8s %12s %7s %8s  %s\n", "shape NxK", "m", "t", "check",
              "us/call", "best", "spread", "weights GB/s", "of BW", "GOP/s", "kernel");
  for (size_t i = 0; i < rows.size(); ++i) {
    KernelRow &row = rows[i];
    row.timing = timings[i];
    // Best sample against the best bandwidth pass: like with like.
    row.bandwidthFraction =
        row.kernel->weightGBs(row.timing.min) / (row.kernel->onGpu() ? gpuBandwidth : bandwidth);
    const tern_kernel_info &info = row.kernel->info();
    std::printf("%-12s %5lld %3lld  %-9s %10.1f %8.1f %7.1f%% %12.2f %6.0f%% %8.1f  %s\n",
                (std::to_string(info.n) + "x" + std::to_string(info.k)).c_str(),
                static_cast<long long>(m), static_cast<long long>(threads), "bit-exact",
                row.timing.median * 1e6, row.timing.min * 1e6, 100.0 * row.timing.spread(),
                row.kernel->weightGBs(row.timing.median), 100.0 * row.bandwidthFraction,
                row.kernel->gops(row.timing.median), row.kernel->describe().c_str());
  }
  // The fastest kernel of each shape, when several compete.
  std::map<std::pair<int64_t, int64_t>, const KernelRow *> best;
  for (const KernelRow &row : rows) {
    auto key = std::make_pair(row.kernel->info().n, row.kernel->info().k);
    if (!best[key] || row.timing.median < best[key]->timing.median)
      best[key] = &row;
  }
  if (best.size() < rows.size()) {
    std::printf("\nFastest per shape (median):\n");
    for (auto &[shape, row] : best)
      std::printf("  %-12s %10.1f us  %s  %s\n",
                  (std::to_string(shape.first) + "x" + std::to_string(shape.second)).c_str(),
                  row->timing.median * 1e6,
                  m == 1 ? (std::to_string(static_cast<int>(100 * row->bandwidthFraction + 0.5)) +
                            "% of BW")
                               .c_str()
                         : (std::to_string(static_cast<int>(row->kernel->gops(row->timing.median))) +
                            " GOP/s")
                               .c_str(),
                  row->kernel->describe().c_str());
  }
  if (!jsonPath.empty()) {
    FILE *f = std::fopen(jsonPath.c_str(), "w");
    if (!f)
      return fail("cannot write " + jsonPath);
    writeJson(f, rows, threads, bandwidth, weightsFrom);
    std::fclose(f);
  }
  kernels.clear();
  tern_runtime_destroy(runtime);
  return status;
}

int runBandwidth(int argc, char **argv) {
  int64_t threads = 1;
  tools::ArgParser args("tern-bench bandwidth",
                        "Measure this machine's memory read bandwidth (the best of 18 passes "
                        "over 512 MiB: 1 or 4 streams per thread, with and without software "
                        "prefetch), its core clock (chains of dependent adds) and, per int8 "
                        "dot-product instruction the host has, what one thread does when it "
                        "issues nothing else (the ceiling of a prefill kernel's inner loop)");
  args.option("threads", &threads, "T", "threads reading");
  args.alias("t", "threads");
  if (int rc = args.parseCommandLine(argc, argv); rc >= 0)
    return rc;
  tern_runtime *runtime = tern_runtime_create(static_cast<int>(std::max<int64_t>(threads, 1)));
  printMachine();
  std::printf("Memory read bandwidth, %lld thread(s): %.1f GB/s\n", static_cast<long long>(threads),
              measure::measureBandwidth(runtime));
  double ghz = measure::measureClockGHz();
  std::printf("Core clock while busy: %.2f GHz\n", ghz);
  std::vector<measure::DotPeak> peaks = measure::measureDotPeaks();
  if (!peaks.empty())
    std::printf("\nint8 dot products, 1 thread, back to back:\n");
  for (const measure::DotPeak &peak : peaks)
    std::printf("  %-52s %8.1f GMAC/s  %6.1f MAC/cycle\n", peak.instructions.c_str(), peak.gmacs,
                peak.gmacs / ghz);
  tern_runtime_destroy(runtime);
  return 0;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

int runModel(int argc, char **argv) {
  std::vector<std::string> dirs;
  int64_t threads = 1, prompt = 32, tokens = 64, runs = 3;
  std::string jsonPath;
  tools::ArgParser args("tern-bench model",
                        "Time a compiled model (NAME.tern from `ternc compile`): a prompt of P "
                        "tokens in one prefill, then N decode steps, R times from position 0; "
                        "prints the median tokens/s of each and the memory bandwidth measured in "
                        "the same run");
  args.positional(&dirs, "DIR", "model artifact directory");
  args.option("threads", &threads, "T", "runtime threads");
  args.alias("t", "threads");
  args.option("prompt", &prompt, "P", "prompt tokens (default 32)");
  args.option("tokens", &tokens, "N", "decode steps (default 64)");
  args.option("runs", &runs, "R", "repetitions (default 3)");
  args.option("json", &jsonPath, "FILE", "also write the results as JSON");
  if (int rc = args.parseCommandLine(argc, argv); rc >= 0)
    return rc;
  if (dirs.size() != 1)
    return fail("give one model directory (see --help)");
  if (threads < 1 || prompt < 1 || tokens < 1 || runs < 1)
    return fail("--threads, --prompt, --tokens and --runs must be at least 1");
  tern_model *model = tern_model_load(dirs[0].c_str());
  if (!model)
    return fail(tern_last_error());
  const tern_model_info *info = tern_model_get_info(model);
  if (prompt + tokens > info->context) {
    tern_model_free(model);
    return fail("--prompt + --tokens = " + std::to_string(prompt + tokens) +
                " exceeds the model's context of " + std::to_string(info->context));
  }
  tern_runtime *runtime = tern_runtime_create(static_cast<int>(threads));
  printMachine();
  // A GPU model streams its weights from GPU memory.
  bool onGpu = *info->gpu_arch != '\0';
  double bandwidth = onGpu ? tern_gpu_bandwidth() : measure::measureBandwidth(runtime);
  if (onGpu)
    std::printf("GPU %s memory bandwidth: %.1f GB/s (device-to-device copies)\n", info->gpu_arch,
                bandwidth);
  else
    std::printf("Memory read bandwidth, %lld thread(s): %.1f GB/s\n",
                static_cast<long long>(threads), bandwidth);
  tern_session *session = tern_session_create(model, runtime);
  // Any ids of the vocabulary do: the work per token does not depend on them.
  std::vector<int32_t> ids(prompt + tokens);
  for (size_t i = 0; i < ids.size(); ++i)
    ids[i] = static_cast<int32_t>((1000 + 7919 * i) % info->vocab);
  std::vector<double> prefill, decode;
  int status = 0;
  for (int64_t r = 0; r < runs && status == 0; ++r) {
    tern_session_rewind(session, 0);
    auto start = std::chrono::steady_clock::now();
    if (!tern_session_eval(session, ids.data(), prompt, nullptr)) {
      status = fail(tern_last_error());
      break;
    }
    prefill.push_back(static_cast<double>(prompt) / secondsSince(start));
    start = std::chrono::steady_clock::now();
    for (int64_t t = 0; t < tokens; ++t)
      if (!tern_session_eval(session, &ids[prompt + t], 1, nullptr)) {
        status = fail(tern_last_error());
        break;
      }
    decode.push_back(static_cast<double>(tokens) / secondsSince(start));
  }
  if (status == 0) {
    double prefillMedian = median(prefill), decodeMedian = median(decode);
    std::printf("%s, %lld thread(s): prompt of %lld tokens %.1f tokens/s, decode of %lld tokens "
                "%.2f tokens/s (median of %lld runs)\n",
                dirs[0].c_str(), static_cast<long long>(threads), static_cast<long long>(prompt),
                prefillMedian, static_cast<long long>(tokens), decodeMedian,
                static_cast<long long>(runs));
    if (!jsonPath.empty()) {
      FILE *f = std::fopen(jsonPath.c_str(), "w");
      if (!f)
        status = fail("cannot write " + jsonPath);
      else {
        std::fprintf(f,
                     "{\"cpu\": \"%s\", \"gpu\": \"%s\", \"threads\": %lld, \"bandwidth_gbs\": "
                     "%.3f, \"model\": \"%s\", \"prompt\": %lld, \"tokens\": %lld, "
                     "\"prefill_tokens_per_s\": %.3f, \"decode_tokens_per_s\": %.3f}\n",
                     tern_cpu_name(), info->gpu_arch, static_cast<long long>(threads), bandwidth,
                     dirs[0].c_str(),
                     static_cast<long long>(prompt), static_cast<long long>(tokens), prefillMedian,
                     decodeMedian);
        std::fclose(f);
      }
    }
  }
  tern_session_free(session);
  tern_runtime_destroy(runtime);
  tern_model_free(model);
  return status;
}

const char *kUsage = "tern-bench: measure Tern kernels and this machine\n\n"
                     "  tern-bench kernel DIR... [--m M] [--threads T] [--json FILE]\n"
                     "      check each kernel bit-exact against the reference, then time it\n"
                     "  tern-bench model DIR [--prompt P] [--tokens N] [--threads T] [--json FILE]\n"
                     "      time a compiled model's prefill and decode, in tokens/s\n"
                     "  tern-bench bandwidth [--threads T]\n"
                     "      measure memory read bandwidth, the core clock and int8 dot-product peaks\n"
                     "  tern-bench gpu-arch\n"
                     "      print the first NVIDIA GPU's architecture (sm_90), or why there is none\n\n"
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
  if (command == "model")
    return runModel(argc - 1, argv + 1);
  if (command == "gpu-arch") {
    // For scripts: the first GPU's architecture, or why there is none.
    const char *arch = tern_gpu_arch();
    if (!arch)
      return fail(tern_last_error());
    std::printf("%s\n", arch);
    return 0;
  }
  return fail("unknown command '" + command + "' (see --help)");
}
