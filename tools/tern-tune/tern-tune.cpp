//===- tern-tune.cpp - search kernel parameters and remember the best -----===//
//
//   tern-tune space  --strategy S --shape NxK [--m M]
//   tern-tune shape  --shape NxK [--m M] [--budget N | --time S] [--db FILE] ...
//   tern-tune model  CHECKPOINT_OR_ARTIFACT [--budget N] [--threads T] [--db FILE]
//   tern-tune export --format csv|json [--db FILE] [-o FILE]
//   tern-tune validate-model --shape NxK [--m M] [--db FILE]
//   tern-tune rank   --shape NxK [--m M] --machine NAME --target T [--cpu C]
//   tern-tune plot   [--db FILE] -o DIR
//   tern-tune jobs   --shapes NxK,... --tasks N --shard-dir DIR -o JOB.sh
//   tern-tune merge  --db OUT SHARD.db...
//
// Measurements go to the tuning database (default ~/.cache/tern/tuning.db,
// where ternc looks for it).
//
//===----------------------------------------------------------------------===//
#include "compiler/import/Checkpoint.h"
#include "compiler/pipeline/Registration.h"
#include "tools/common/Args.h"
#include "tools/tern-tune/CostModel.h"
#include "tools/tern-tune/Plots.h"
#include "tools/tern-tune/Tuner.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

using namespace tern;

namespace {

int fail(const std::string &message) {
  std::fprintf(stderr, "tern-tune: error: %s\n", message.c_str());
  return 1;
}

int fail(llvm::Error e) { return fail(llvm::toString(std::move(e))); }

bool parseShape(const std::string &text, int64_t &n, int64_t &k) {
  size_t x = text.find('x');
  if (x == std::string::npos)
    return false;
  return !llvm::StringRef(text).substr(0, x).getAsInteger(10, n) &&
         !llvm::StringRef(text).substr(x + 1).getAsInteger(10, k) && n > 0 && k > 0;
}

mlir::MLIRContext &context() { return ternContext(); }

/// Options every tuning command shares.
struct Common {
  std::string db, target = "host", cpu, features;
  int64_t threads = 1;

  void add(tools::ArgParser &args) {
    args.option("db", &db, "FILE", "tuning database (default: $TERN_TUNING_DB or ~/.cache/tern/tuning.db)");
    args.option("threads", &threads, "T", "threads the kernels run on (default 1)");
    args.alias("t", "threads");
  }
  void addTarget(tools::ArgParser &args) {
    args.option("target", &target, "T", "host (default), x86_64, aarch64 or nvptx");
    args.option("cpu", &cpu, "CPU",
                "LLVM CPU name for a non-host target, e.g. neoverse-v2 (nvptx: sm_80 ... sm_90)");
    args.option("features", &features, "EDITS", "feature edits, e.g. -avx512f");
  }
  std::string dbPath() const { return db.empty() ? defaultTuningDbPath() : db; }
};

int runSpace(int argc, char **argv) {
  std::string strategyName = "all", shape;
  int64_t m = 1;
  Common common;
  tools::ArgParser args("tern-tune space", "Print a strategy's search space for a shape: every "
                                           "parameter, its values, and how many points the "
                                           "verifier accepts");
  args.option("strategy", &strategyName, "S", "mfree, lut, rowlut (CPUs, m > 1), amx (CPUs with AMX, m > 1), simt, mma (GPUs; mma for m > 1) or all (default)");
  args.option("shape", &shape, "NxK", "the matmul's weight shape");
  args.option("m", &m, "M", "activation rows (1: decode; default 1)");
  common.addTarget(args);
  if (int rc = args.parseCommandLine(argc, argv); rc >= 0)
    return rc;
  int64_t n, k;
  if (!parseShape(shape, n, k))
    return fail("--shape must be NxK with positive N and K, got '" + shape + "'");
  auto target = resolveTarget(common.target, common.cpu, common.features);
  if (!target)
    return fail(target.takeError());
  int64_t total = 0;
  for (const SearchSpace &space : allSearchSpaces(*target, m)) {
    if (strategyName != "all" && strategyName != stringifyStrategy(space.strategy()))
      continue;
    std::printf("strategy %s for %lldx%lld m=%lld on %s (lanes = %lld)\n",
                stringifyStrategy(space.strategy()).str().c_str(), static_cast<long long>(n),
                static_cast<long long>(k), static_cast<long long>(m), target->describe().c_str(),
                static_cast<long long>(space.lanes()));
    std::printf("  %-9s", "packing");
    for (Packing p : space.packings())
      std::printf(" %s%s", stringifyPacking(p).str().c_str(),
                  k % packingGroupSize(p) ? " (K does not fit)" : "");
    std::printf("\n");
    for (const ParameterRange &p : space.parameters()) {
      std::printf("  %-9s", p.name.c_str());
      for (int64_t v : p.values)
        std::printf(" %lld", static_cast<long long>(v));
      std::printf("\n");
    }
    int64_t valid = 0;
    for (const Candidate &c : space.candidates(&context()))
      valid += k % packingGroupSize(c.packing) == 0;
    std::printf("  %lld points, %lld valid candidates\n", static_cast<long long>(space.points()),
                static_cast<long long>(valid));
    total += valid;
  }
  if (total == 0)
    return fail("no strategy named '" + strategyName + "' (expected mfree, lut, rowlut, amx, simt, mma or all)");
  return 0;
}

/// "[ 12/40] ... ETA 1m05s" on one line, rewritten in place on a terminal.
class ProgressLine {
public:
  explicit ProgressLine(bool quiet) : quiet_(quiet) {}
  void operator()(const std::string &what, const TuneProgress &p, int64_t doneBefore,
                  int64_t grandTotal) {
    if (quiet_)
      return;
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    int64_t done = doneBefore + p.done;
    double eta = done > 0 ? elapsed / done * (grandTotal - done) : 0;
    std::string best = p.best ? llvm::formatv("best {0:f1} us {1}/{2}", p.best->medianUs,
                                              p.best->strategy, p.best->packing)
                                    .str()
                              : "no valid kernel yet";
    std::fprintf(stderr, "%s[%4lld/%lld] %s: %s, ETA %dm%02ds%s", tty_ ? "\r" : "",
                 static_cast<long long>(done), static_cast<long long>(grandTotal), what.c_str(),
                 best.c_str(), static_cast<int>(eta) / 60, static_cast<int>(eta) % 60,
                 tty_ ? "   " : "\n");
    std::fflush(stderr);
  }
  void finish() {
    if (!quiet_ && tty_)
      std::fprintf(stderr, "\n");
  }

private:
  bool quiet_;
  bool tty_ = llvm::sys::Process::StandardErrIsDisplayed();
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

struct ShapeArgs {
  std::string strategy = "all", packing = "all", search = "auto", slice;
  int64_t budget = 40, seed = 1, samples = 7;
  double time = 0;
  bool resume = false, quiet = false;

  void add(tools::ArgParser &args) {
    args.option("budget", &budget, "N", "candidates to measure per shape and m (default 40)");
    args.option("time", &time, "S", "stop measuring new candidates after S seconds per shape");
    args.option("search", &search, "KIND",
                "exhaustive, random, evolution, or auto (default: exhaustive when the space "
                "fits the budget, else evolution)");
    args.option("seed", &seed, "S", "random seed: the same seed tries the same candidates");
    args.option("samples", &samples, "N", "timed samples of >= 20 ms per candidate (default 7)");
    args.option("strategy", &strategy, "S", "mfree, lut, rowlut (CPUs, m > 1), amx (CPUs with AMX, m > 1), simt, mma (GPUs; mma for m > 1) or all (default)");
    args.option("packing", &packing, "P", "i2, base3, lut2, lut3, idx3 or all (default)");
    args.flag("resume", &resume, "skip candidates the database already has (after a crash)");
    args.option("slice", &slice, "I/N", "measure only the I-th of N slices of the candidate list");
    args.flag("quiet", &quiet, "no progress line");
  }

  /// Fills `options`; returns an error message or "".
  std::string fill(TuneOptions &options) const {
    options.budget = budget;
    options.timeLimit = time;
    options.seed = static_cast<uint64_t>(seed);
    options.resume = resume;
    options.samples = static_cast<int>(samples);
    if (budget < 1 || samples < 1)
      return "--budget and --samples must be at least 1";
    if (search == "auto") options.search = SearchKind::Auto;
    else if (search == "exhaustive") options.search = SearchKind::Exhaustive;
    else if (search == "random") options.search = SearchKind::Random;
    else if (search == "evolution") options.search = SearchKind::Evolution;
    else return "unknown --search '" + search + "' (expected exhaustive, random, evolution or auto)";
    if (strategy != "all") {
      options.strategy = symbolizeStrategy(strategy);
      if (!options.strategy)
        return "unknown --strategy '" + strategy + "' (expected mfree, lut, rowlut, amx, simt, mma or all)";
    }
    if (packing != "all") {
      options.packing = symbolizePacking(packing);
      if (!options.packing)
        return "unknown --packing '" + packing + "' (expected i2, base3, lut2, lut3, idx3 or all)";
    }
    if (!slice.empty()) {
      size_t slash = slice.find('/');
      if (slash == std::string::npos ||
          llvm::StringRef(slice).substr(0, slash).getAsInteger(10, options.sliceIndex) ||
          llvm::StringRef(slice).substr(slash + 1).getAsInteger(10, options.sliceCount) ||
          options.sliceCount < 1 || options.sliceIndex < 0 ||
          options.sliceIndex >= options.sliceCount)
        return "--slice must be I/N with 0 <= I < N, got '" + slice + "'";
      options.search = SearchKind::Exhaustive;
    }
    return "";
  }
};

std::string runId() {
  return llvm::formatv("{0}-{1}", std::chrono::system_clock::now().time_since_epoch().count(),
                       llvm::sys::Process::getProcessId())
      .str();
}

void printResult(const TuningKey &key, const TuneResult &r) {
  std::printf("%s: measured %lld (%lld resumed, %lld invalid, %lld failed)\n",
              key.describe().c_str(), static_cast<long long>(r.measured),
              static_cast<long long>(r.resumed), static_cast<long long>(r.invalid),
              static_cast<long long>(r.failed));
  if (r.defaultKernel && r.defaultKernel->status == "ok")
    std::printf("  default %9.1f us  %s/%s %s\n", r.defaultKernel->medianUs,
                r.defaultKernel->strategy.c_str(), r.defaultKernel->packing.c_str(),
                r.defaultKernel->kernel.c_str());
  if (r.best) {
    std::printf("  tuned   %9.1f us  %s/%s %s", r.best->medianUs, r.best->strategy.c_str(),
                r.best->packing.c_str(), r.best->kernel.c_str());
    if (r.defaultKernel && r.defaultKernel->status == "ok")
      std::printf("  (%.2fx the default)", r.defaultKernel->medianUs / r.best->medianUs);
    std::printf("\n");
  }
  std::fflush(stdout);
}

int runShape(int argc, char **argv) {
  std::string shape;
  int64_t m = 1;
  Common common;
  ShapeArgs shapeArgs;
  tools::ArgParser args("tern-tune shape",
                        "Tune one matmul shape on this machine: compile candidates, check each "
                        "bit-exact against the reference, time it, and record it in the database");
  std::string kernel;
  args.option("shape", &shape, "NxK", "the matmul's weight shape, e.g. 2560x6912");
  args.option("m", &m, "M", "activation rows (1: decode; default 1); every call reads its weights from DRAM, as in a model");
  args.option("kernel", &kernel, "ATTR",
              "measure only this #tern.kernel (on --packing, else the strategy's default "
              "packing) and record it, e.g. to compare a hand-picked kernel with the tuned ones");
  common.add(args);
  shapeArgs.add(args);
  if (int rc = args.parseCommandLine(argc, argv); rc >= 0)
    return rc;
  TuneOptions options;
  if (!parseShape(shape, options.n, options.k))
    return fail("--shape must be NxK with positive N and K, got '" + shape + "'");
  if (m < 1 || common.threads < 1)
    return fail("--m and --threads must be at least 1");
  options.m = m;
  options.threads = common.threads;
  options.run = runId();
  if (std::string error = shapeArgs.fill(options); !error.empty())
    return fail(error);
  if (!kernel.empty()) {
    options.kernel = llvm::dyn_cast_or_null<KernelAttr>(mlir::parseAttribute(kernel, &context()));
    if (!options.kernel)
      return fail("--kernel '" + kernel + "' is not a #tern.kernel attribute");
    if (options.strategy && *options.strategy != options.kernel.getStrategy())
      return fail("--kernel is a " + stringifyStrategy(options.kernel.getStrategy()).str() +
                  " kernel, but --strategy asks for " + stringifyStrategy(*options.strategy).str());
  }
  auto target = resolveTarget("host", "", "");
  if (!target)
    return fail(target.takeError());
  auto db = TuningDb::open(common.dbPath());
  if (!db)
    return fail(db.takeError());
  Tuner tuner(&context(), *target, **db, common.threads);
  TuningKey key = TuningKey::of(*target, options.n, options.k, options.m, options.threads);
  ProgressLine line(shapeArgs.quiet);
  auto result = tuner.tune(options, [&](const TuneProgress &p) {
    line(key.describe(), p, 0, p.total);
  });
  line.finish();
  if (!result)
    return fail(result.takeError());
  printResult(key, *result);
  return 0;
}

/// The distinct ternary matmul shapes of a model: from a checkpoint's
/// configuration, or from a compiled artifact's manifest.
llvm::Expected<std::vector<std::pair<int64_t, int64_t>>> modelShapes(const std::string &path) {
  std::set<std::pair<int64_t, int64_t>> shapes;
  std::string manifest = path + "/manifest.json";
  if (llvm::sys::fs::is_directory(path) && llvm::sys::fs::exists(manifest) &&
      !llvm::sys::fs::exists(path + "/config.json")) {
    auto text = llvm::MemoryBuffer::getFile(manifest);
    if (!text)
      return llvm::createStringError("cannot read " + manifest);
    auto json = llvm::json::parse((*text)->getBuffer());
    if (!json)
      return llvm::createStringError(manifest + ": " + llvm::toString(json.takeError()));
    const llvm::json::Array *kernels =
        json->getAsObject() ? json->getAsObject()->getArray("kernels") : nullptr;
    if (!kernels)
      return llvm::createStringError(manifest + " lists no kernels: not a Tern model artifact");
    for (const llvm::json::Value &v : *kernels) {
      const llvm::json::Object *o = v.getAsObject();
      auto n = o ? o->getInteger("n") : std::nullopt, k = o ? o->getInteger("k") : std::nullopt;
      if (!n || !k)
        return llvm::createStringError(manifest + ": a kernel without n and k");
      shapes.insert({*n, *k});
    }
  } else {
    auto checkpoint = openCheckpoint(path);
    if (!checkpoint)
      return checkpoint.takeError();
    const ModelConfig &c = (*checkpoint)->config();
    shapes = {{c.hidden, c.hidden}, {c.kvDim(), c.hidden}, {c.intermediate, c.hidden},
              {c.hidden, c.intermediate}};
  }
  return std::vector<std::pair<int64_t, int64_t>>(shapes.begin(), shapes.end());
}

int runModel(int argc, char **argv) {
  std::vector<std::string> paths;
  int64_t prefillRows = 128;
  Common common;
  ShapeArgs shapeArgs;
  tools::ArgParser args("tern-tune model",
                        "Tune every distinct matmul shape of a model for decode (m = 1) and "
                        "prefill; `ternc compile` then uses the results");
  args.positional(&paths, "CHECKPOINT_OR_ARTIFACT",
                  "a Hugging Face directory, a .gguf file, or a NAME.tern artifact");
  args.option("prefill-rows", &prefillRows, "M", "rows prefill kernels are tuned for (default 128)");
  common.add(args);
  shapeArgs.add(args);
  if (int rc = args.parseCommandLine(argc, argv); rc >= 0)
    return rc;
  if (paths.size() != 1)
    return fail("give one checkpoint or artifact (see --help)");
  auto shapes = modelShapes(paths[0]);
  if (!shapes)
    return fail(shapes.takeError());
  auto target = resolveTarget("host", "", "");
  if (!target)
    return fail(target.takeError());
  auto db = TuningDb::open(common.dbPath());
  if (!db)
    return fail(db.takeError());
  Tuner tuner(&context(), *target, **db, common.threads);
  TuneOptions base;
  base.threads = common.threads;
  base.run = runId();
  if (std::string error = shapeArgs.fill(base); !error.empty())
    return fail(error);
  // Decode first, over every layout; then prefill on the layout of each
  // packing's fastest decode kernel (the weights are shared, so are their
  // layouts). `ternc compile` takes the layout that serves both best.
  int64_t perShape = base.budget;
  int64_t estimate = static_cast<int64_t>(shapes->size()) * 3 * perShape, doneBefore = 0;
  ProgressLine line(shapeArgs.quiet);
  std::printf("Tuning %zu shapes of %s for %lld thread(s) into %s\n", shapes->size(),
              paths[0].c_str(), static_cast<long long>(common.threads), common.dbPath().c_str());
  auto tuneOne = [&](TuneOptions options) -> llvm::Error {
    TuningKey key = TuningKey::of(*target, options.n, options.k, options.m, common.threads);
    int64_t planned = perShape;
    auto result = tuner.tune(options, [&](const TuneProgress &p) {
      planned = p.total;
      line(key.describe(), p, doneBefore, estimate - perShape + p.total);
    });
    line.finish();
    if (!result)
      return result.takeError();
    doneBefore += planned;
    estimate += planned - perShape;
    printResult(key, *result);
    return llvm::Error::success();
  };
  for (auto [n, k] : *shapes) {
    TuneOptions decode = base;
    decode.n = n;
    decode.k = k;
    decode.m = 1;
    if (llvm::Error e = tuneOne(decode))
      return fail(std::move(e));
    auto rows = (*db)->measurements(TuningKey::of(*target, n, k, 1, common.threads));
    if (!rows)
      return fail(rows.takeError());
    std::map<std::string, int64_t> layouts; // packing -> tile_n of its fastest decode
    for (const Measurement &row : *rows)
      if (row.status == "ok")
        layouts.try_emplace(row.packing, row.tileN);
    estimate += (static_cast<int64_t>(layouts.size()) - 2) * perShape;
    for (auto &[packing, tileN] : layouts) {
      TuneOptions prefill = decode;
      prefill.m = prefillRows;
      prefill.packing = symbolizePacking(packing);
      prefill.tileN = tileN;
      if (llvm::Error e = tuneOne(prefill))
        return fail(std::move(e));
    }
  }
  std::printf("Done: `ternc compile --threads %lld` now uses these kernels.\n",
              static_cast<long long>(common.threads));
  return 0;
}

int runExport(int argc, char **argv) {
  std::string format = "csv", output = "-";
  Common common;
  tools::ArgParser args("tern-tune export", "Write every measurement as CSV or JSON");
  args.option("format", &format, "F", "csv (default) or json");
  args.option("output", &output, "FILE", "output file ('-': stdout, the default)");
  args.alias("o", "output");
  common.add(args);
  if (int rc = args.parseCommandLine(argc, argv); rc >= 0)
    return rc;
  if (format != "csv" && format != "json")
    return fail("--format must be csv or json, got '" + format + "'");
  auto db = TuningDb::open(common.dbPath());
  if (!db)
    return fail(db.takeError());
  auto rows = (*db)->all();
  if (!rows)
    return fail(rows.takeError());
  std::error_code ec;
  llvm::raw_fd_ostream os(output, ec);
  if (ec)
    return fail("cannot write " + output + ": " + ec.message());
  auto quote = [](const std::string &s) {
    std::string q = "\"";
    for (char c : s)
      q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  if (format == "csv") {
    os << "triple,cpu,features,n,k,m,threads,strategy,packing,kernel,tile_n,tile_m,unroll_k,"
          "prefetch,streams,status,median_us,min_us,max_us,bandwidth_gbs,is_default,run,seq,"
          "message\n";
    for (auto &[key, m] : *rows)
      os << quote(key.triple) << "," << quote(key.cpu) << "," << quote(key.features) << ","
         << key.n << "," << key.k << "," << key.m << "," << key.threads << "," << m.strategy
         << "," << m.packing << "," << quote(m.kernel) << "," << m.tileN << "," << m.tileM << ","
         << m.unrollK << "," << m.prefetch << "," << m.streams << "," << m.status << ","
         << llvm::formatv("{0:f3},{1:f3},{2:f3},{3:f2}", m.medianUs, m.minUs, m.maxUs,
                          m.bandwidthGBs)
         << "," << (m.isDefault ? 1 : 0) << "," << quote(m.run) << "," << m.seq << ","
         << quote(m.message) << "\n";
    return 0;
  }
  llvm::json::Array array;
  for (auto &[key, m] : *rows)
    array.push_back(llvm::json::Object{
        {"triple", key.triple}, {"cpu", key.cpu}, {"features", key.features}, {"n", key.n},
        {"k", key.k}, {"m", key.m}, {"threads", key.threads}, {"strategy", m.strategy},
        {"packing", m.packing}, {"kernel", m.kernel}, {"tile_n", m.tileN}, {"tile_m", m.tileM},
        {"unroll_k", m.unrollK}, {"prefetch", m.prefetch}, {"streams", m.streams},
        {"status", m.status}, {"median_us", m.medianUs}, {"min_us", m.minUs},
        {"max_us", m.maxUs}, {"bandwidth_gbs", m.bandwidthGBs}, {"is_default", m.isDefault},
        {"run", m.run}, {"seq", m.seq}, {"message", m.message}});
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(array))) << "\n";
  return 0;
}

int runValidateModel(int argc, char **argv) {
  std::string shape;
  int64_t m = 128;
  double ghz = 3.0;
  Common common;
  tools::ArgParser args("tern-tune validate-model",
                        "Check the static cost model against this machine: predict every "
                        "candidate measured for a shape (llvm-mca on its inner loop) and print "
                        "the Spearman rank correlation of predicted and measured times");
  args.option("shape", &shape, "NxK", "a shape tuned on this machine (tern-tune shape)");
  args.option("m", &m, "M", "activation rows of the tuned shape (default 128)");
  args.option("ghz", &ghz, "GHZ", "clock for converting cycles to time (default 3.0)");
  std::string mcaCpu;
  args.option("mca-cpu", &mcaCpu, "CPU",
              "llvm-mca scheduling model (default: the host's CPU; znver4 models Zen 5's "
              "vpdpbusd better than LLVM's znver5)");
  common.add(args);
  if (int rc = args.parseCommandLine(argc, argv); rc >= 0)
    return rc;
  int64_t n, k;
  if (!parseShape(shape, n, k))
    return fail("--shape must be NxK with positive N and K, got '" + shape + "'");
  auto target = resolveTarget("host", "", "");
  if (!target)
    return fail(target.takeError());
  auto db = TuningDb::open(common.dbPath());
  if (!db)
    return fail(db.takeError());
  TuningKey key = TuningKey::of(*target, n, k, m, common.threads);
  auto rows = (*db)->measurements(key);
  if (!rows)
    return fail(rows.takeError());
  std::vector<double> predicted, measured;
  CostModelParams params{ghz, rows->empty() ? 20.0 : rows->front().bandwidthGBs, common.threads,
                         mcaCpu};
  for (const Measurement &row : *rows) {
    if (row.status != "ok")
      continue;
    auto kernel = llvm::dyn_cast_or_null<KernelAttr>(mlir::parseAttribute(row.kernel, &context()));
    auto strategy = symbolizeStrategy(row.strategy);
    auto packing = symbolizePacking(row.packing);
    if (!kernel || !strategy || !packing)
      continue;
    auto p = predict(&context(), *target, Candidate{*strategy, *packing, kernel}, m, n, k, params);
    if (!p) {
      std::fprintf(stderr, "tern-tune: skipping %s: %s\n", row.kernel.c_str(),
                   llvm::toString(p.takeError()).c_str());
      continue;
    }
    predicted.push_back(p->us());
    measured.push_back(row.medianUs);
    std::printf("  predicted %9.1f us  measured %9.1f us  %s/%s %s\n", p->us(), row.medianUs,
                row.strategy.c_str(), row.packing.c_str(), row.kernel.c_str());
  }
  if (predicted.size() < 3)
    return fail("need at least 3 measured candidates for " + key.describe() +
                " (run tern-tune shape first)");
  double rho = spearman(predicted, measured);
  std::printf("Spearman rank correlation over %zu candidates of %s: %.3f\n", predicted.size(),
              key.describe().c_str(), rho);
  return 0;
}

int runPlot(int argc, char **argv) {
  std::string output;
  Common common;
  tools::ArgParser args("tern-tune plot",
                        "Write SVG figures (throughput heatmaps, tuned vs default, convergence) "
                        "and a Markdown report embedding them");
  args.option("output", &output, "DIR", "output directory");
  args.alias("o", "output");
  common.add(args);
  if (int rc = args.parseCommandLine(argc, argv); rc >= 0)
    return rc;
  if (output.empty())
    return fail("tern-tune plot needs an output directory: -o DIR");
  auto db = TuningDb::open(common.dbPath());
  if (!db)
    return fail(db.takeError());
  auto files = plots::writeReport(**db, output);
  if (!files)
    return fail(files.takeError());
  for (const std::string &f : *files)
    std::printf("wrote %s\n", f.c_str());
  return 0;
}

int runJobs(int argc, char **argv) {
  std::string shapes, output, shardDir, ms = "1,128", partition, extra;
  int64_t tasks = 4, threads = 1;
  static int anchor;
  std::string self = llvm::sys::fs::getMainExecutable(argv[0], &anchor);
  tools::ArgParser args("tern-tune jobs",
                        "Write a Slurm array job: task I tunes slice I of every shape's candidate "
                        "list into its own database shard; `tern-tune merge` joins the shards");
  args.option("shapes", &shapes, "NxK,...", "shapes to tune");
  args.option("m", &ms, "M,...", "activation rows to tune for (default 1,128)");
  args.option("tasks", &tasks, "N", "array tasks (default 4)");
  args.option("threads", &threads, "T", "threads per task (default 1)");
  args.option("shard-dir", &shardDir, "DIR", "where tasks write shard-I.db");
  args.option("partition", &partition, "P", "Slurm partition (default: the cluster's)");
  args.option("extra", &extra, "ARGS", "more `tern-tune shape` options for every task, e.g. "
                                       "\"--strategy lut --samples 3\"");
  args.option("output", &output, "FILE", "the job script to write");
  args.alias("o", "output");
  if (int rc = args.parseCommandLine(argc, argv); rc >= 0)
    return rc;
  if (shapes.empty() || output.empty() || shardDir.empty())
    return fail("tern-tune jobs needs --shapes, --shard-dir and -o (see --help)");
  if (tasks < 1 || threads < 1)
    return fail("--tasks and --threads must be at least 1");
  llvm::SmallVector<llvm::StringRef> shapeList, mList;
  llvm::StringRef(shapes).split(shapeList, ',', -1, false);
  llvm::StringRef(ms).split(mList, ',', -1, false);
  for (llvm::StringRef s : shapeList) {
    int64_t n, k;
    if (!parseShape(s.str(), n, k))
      return fail("bad shape '" + s.str() + "' in --shapes");
  }
  llvm::SmallString<256> absShards(shardDir);
  llvm::sys::fs::make_absolute(absShards);
  std::error_code ec;
  llvm::raw_fd_ostream os(output, ec);
  if (ec)
    return fail("cannot write " + output + ": " + ec.message());
  os << "#!/bin/bash\n"
     << "#SBATCH --job-name=tern-tune\n"
     << "#SBATCH --array=0-" << tasks - 1 << "\n"
     << "#SBATCH --cpus-per-task=" << threads << "\n"
     << "#SBATCH --output=" << absShards << "/task-%a.log\n";
  if (!partition.empty())
    os << "#SBATCH --partition=" << partition << "\n";
  os << "# Written by tern-tune jobs: task I measures slice I/" << tasks
     << " of every candidate list.\nset -euo pipefail\n"
     << "mkdir -p " << absShards << "\n"
     << "I=${SLURM_ARRAY_TASK_ID:?run through sbatch}\n";
  for (llvm::StringRef s : shapeList)
    for (llvm::StringRef m : mList)
      os << self << " shape --shape " << s << " --m " << m << " --threads " << threads
         << " --slice $I/" << tasks << " --quiet --db " << absShards << "/shard-$I.db"
         << (extra.empty() ? "" : " " + extra) << "\n";
  os.close();
  llvm::sys::fs::setPermissions(output, llvm::sys::fs::all_read | llvm::sys::fs::owner_write |
                                            llvm::sys::fs::all_exe);
  std::printf("wrote %s: %lld tasks over %zu shapes x %zu m; then\n  tern-tune merge --db OUT.db "
              "%s/shard-*.db\n",
              output.c_str(), static_cast<long long>(tasks), shapeList.size(), mList.size(),
              absShards.c_str());
  return 0;
}

int runMerge(int argc, char **argv) {
  std::vector<std::string> shards;
  Common common;
  tools::ArgParser args("tern-tune merge",
                        "Merge database shards into one database; a candidate measured in "
                        "several keeps its fastest valid measurement");
  args.positional(&shards, "SHARD.db", "databases to merge");
  common.add(args);
  if (int rc = args.parseCommandLine(argc, argv); rc >= 0)
    return rc;
  if (shards.empty())
    return fail("no shards given (see --help)");
  auto db = TuningDb::open(common.dbPath());
  if (!db)
    return fail(db.takeError());
  int64_t merged = 0, kept = 0;
  for (const std::string &path : shards) {
    if (!llvm::sys::fs::exists(path))
      return fail("shard " + path + " does not exist");
    auto shard = TuningDb::open(path);
    if (!shard)
      return fail(shard.takeError());
    auto rows = (*shard)->all();
    if (!rows)
      return fail(rows.takeError());
    for (auto &[key, m] : *rows) {
      auto existing = (*db)->measurements(key);
      if (!existing)
        return fail(existing.takeError());
      bool better = true;
      for (const Measurement &e : *existing)
        if (e.strategy == m.strategy && e.packing == m.packing && e.kernel == m.kernel &&
            e.status == "ok" && (m.status != "ok" || e.medianUs <= m.medianUs))
          better = false;
      if (!better) {
        ++kept;
        continue;
      }
      if (llvm::Error e = (*db)->record(key, m))
        return fail(std::move(e));
      ++merged;
    }
  }
  std::printf("merged %lld measurements from %zu shards into %s (%lld already there and as "
              "fast)\n",
              static_cast<long long>(merged), shards.size(), common.dbPath().c_str(),
              static_cast<long long>(kept));
  return 0;
}

/// Whether a machine description is of the architecture `arch` compiles for.
bool describesArch(const MachineDescription &machine, llvm::StringRef arch) {
  return machine.isa == arch || (machine.isa == "nvptx" && arch.starts_with("nvptx"));
}

int runRank(int argc, char **argv) {
  std::string strategyName = "all", shape, machineName;
  int64_t m = 1, top = 10;
  Common common;
  tools::ArgParser args("tern-tune rank",
                        "Rank a shape's candidates for a machine this one is not, without "
                        "running them: CPU kernels by llvm-mca on their inner loop at the "
                        "described clock and bandwidth, GPU (simt) kernels by the bandwidth and "
                        "occupancy of their grid on the described GPU");
  args.option("shape", &shape, "NxK", "the matmul's weight shape");
  args.option("m", &m, "M", "activation rows (1: decode; default 1)");
  args.option("machine", &machineName, "NAME",
              "a description from targets/descriptions (e.g. nvidia-h100, cortex-a76-rpi5) or a "
              ".yaml file");
  args.option("strategy", &strategyName, "S", "a strategy, or all (default)");
  args.option("top", &top, "N", "candidates printed (default 10)");
  common.addTarget(args);
  args.option("threads", &common.threads, "T", "threads (CPU) the kernels run on (default 1)");
  if (int rc = args.parseCommandLine(argc, argv); rc >= 0)
    return rc;
  int64_t n, k;
  if (!parseShape(shape, n, k))
    return fail("--shape must be NxK with positive N and K, got '" + shape + "'");
  if (machineName.empty())
    return fail("rank needs --machine (see --help)");
  auto machine = loadMachineDescription(findMachineDescription(machineName));
  if (!machine)
    return fail(machine.takeError());
  auto target = resolveTarget(common.target, common.cpu, common.features);
  if (!target)
    return fail(target.takeError());
  if (!describesArch(*machine, target->arch))
    return fail("'" + machine->name + "' describes an " + machine->isa + " machine, but the target is " +
                target->arch + " (pass --target " + machine->isa + ")");
  struct Ranked {
    Candidate candidate;
    Prediction prediction;
  };
  std::vector<Ranked> ranked;
  ProgressLine progress(false);
  for (const SearchSpace &space : allSearchSpaces(*target, m)) {
    if (strategyName != "all" && strategyName != stringifyStrategy(space.strategy()))
      continue;
    std::vector<Candidate> candidates = space.candidates(&context());
    for (size_t i = 0; i < candidates.size(); ++i) {
      const Candidate &c = candidates[i];
      if (k % packingGroupSize(c.packing) != 0)
        continue;
      auto p = machine->isGpu()
                   ? predictGpu(*machine, c, m, n, k)
                   : predict(&context(), *target, c, m, n, k,
                             costModelParams(*machine, common.threads));
      if (!p)
        return fail(p.takeError());
      ranked.push_back({c, *p});
      if (!machine->isGpu())
        std::fprintf(stderr, "\r[%4zu/%zu] %s", i + 1, candidates.size(),
                     stringifyStrategy(space.strategy()).str().c_str());
    }
  }
  if (!machine->isGpu())
    std::fprintf(stderr, "\n");
  if (ranked.empty())
    return fail("no candidate of strategy '" + strategyName + "' fits " + shape + " on " +
                target->describe());
  std::stable_sort(ranked.begin(), ranked.end(), [](const Ranked &a, const Ranked &b) {
    return a.prediction.us() < b.prediction.us();
  });
  std::printf("%s m=%lld on %s (%s), %zu candidates, fastest first:\n", shape.c_str(),
              static_cast<long long>(m), machine->name.c_str(), target->describe().c_str(),
              ranked.size());
  std::printf("  %10s %10s %10s  %s\n", "us", "compute", "memory", "kernel");
  for (size_t i = 0; i < ranked.size() && static_cast<int64_t>(i) < top; ++i) {
    const Ranked &r = ranked[i];
    std::string kernel;
    llvm::raw_string_ostream os(kernel);
    mlir::Attribute(r.candidate.kernel).print(os);
    std::printf("  %10.1f %10.1f %10.1f  %s/%s %s\n", r.prediction.us(), r.prediction.computeUs,
                r.prediction.memoryUs, stringifyStrategy(r.candidate.strategy).str().c_str(),
                stringifyPacking(r.candidate.packing).str().c_str(), kernel.c_str());
  }
  return 0;
}

const char *kUsage =
    "tern-tune: search kernel parameters on this machine and remember the fastest\n\n"
    "  tern-tune space  --strategy S --shape NxK [--m M]    print a search space\n"
    "  tern-tune shape  --shape NxK [--m M] [--budget N]    tune one shape\n"
    "  tern-tune model  CHECKPOINT_OR_ARTIFACT              tune every shape of a model\n"
    "  tern-tune export --format csv|json                   dump the database\n"
    "  tern-tune validate-model --shape NxK [--m M]         cost model vs measurements\n"
    "  tern-tune rank   --shape NxK --machine NAME ...      rank candidates for another machine\n"
    "  tern-tune plot   -o DIR                              SVG figures + report.md\n"
    "  tern-tune jobs   --shapes NxK,... --tasks N ...      write a Slurm array job\n"
    "  tern-tune merge  --db OUT SHARD.db...                merge database shards\n\n"
    "The database is --db FILE, else $TERN_TUNING_DB, else ~/.cache/tern/tuning.db, which\n"
    "`ternc` reads. Run `tern-tune COMMAND --help` for the options of a command.\n";

} // namespace

int main(int argc, char **argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::printf("%s", kUsage);
    return argc < 2 ? 1 : 0;
  }
  std::string command = argv[1];
  int subArgc = argc - 1;
  char **subArgv = argv + 1;
  if (command == "space") return runSpace(subArgc, subArgv);
  if (command == "shape") return runShape(subArgc, subArgv);
  if (command == "model") return runModel(subArgc, subArgv);
  if (command == "export") return runExport(subArgc, subArgv);
  if (command == "validate-model") return runValidateModel(subArgc, subArgv);
  if (command == "rank") return runRank(subArgc, subArgv);
  if (command == "plot") return runPlot(subArgc, subArgv);
  if (command == "jobs") return runJobs(subArgc, subArgv);
  if (command == "merge") return runMerge(subArgc, subArgv);
  return fail("unknown command '" + command + "' (see --help)");
}
