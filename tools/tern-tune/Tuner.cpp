//===- Tuner.cpp ----------------------------------------------------------===//
#include "tools/tern-tune/Tuner.h"

#include "compiler/pipeline/MatmulKernel.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace tern {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Measurement describe(const Candidate &c, const TuneOptions &options) {
  Measurement m;
  m.strategy = stringifyStrategy(c.strategy).str();
  m.packing = stringifyPacking(c.packing).str();
  std::string text;
  llvm::raw_string_ostream os(text);
  mlir::Attribute(c.kernel).print(os);
  m.kernel = text;
  m.tileN = c.kernel.getTileN();
  m.tileM = c.kernel.getTileM();
  m.unrollK = c.kernel.getUnrollK();
  m.prefetch = c.kernel.getPrefetch();
  m.streams = c.kernel.getStreams();
  m.run = options.run;
  return m;
}

} // namespace

struct Tuner::Compiled {
  std::string dir;   // the artifact, when it compiled
  std::string error; // why it did not
};

Tuner::Tuner(mlir::MLIRContext *ctx, const TargetDesc &target, TuningDb &db, int64_t threads)
    : ctx_(ctx), target_(target), db_(db),
      runtime_(tern_runtime_create(static_cast<int>(threads))) {
  llvm::SmallString<128> dir;
  llvm::sys::path::system_temp_directory(true, dir);
  llvm::sys::path::append(dir, "tern-tune-" + std::to_string(llvm::sys::Process::getProcessId()));
  scratch_ = std::string(dir);
  bandwidth_ = measure::measureBandwidth(runtime_);
}

Tuner::~Tuner() {
  tern_runtime_destroy(runtime_);
  llvm::sys::fs::remove_directories(scratch_);
}

Candidate Tuner::defaultCandidate(const TuneOptions &options) const {
  KernelRequest request{options.m,        options.n,       options.k,    options.threads,
                        options.strategy, options.packing, options.tileN, std::nullopt};
  return chooseKernel(ctx_, target_, request, nullptr).candidate;
}

std::vector<Candidate> Tuner::candidates(const TuneOptions &options) const {
  if (options.kernel) {
    Strategy strategy = options.kernel.getStrategy();
    return {{strategy, options.packing.value_or(defaultPacking(strategy)), options.kernel}};
  }
  Candidate fallback = defaultCandidate(options);
  std::vector<Candidate> all = {fallback};
  for (const SearchSpace &space : allSearchSpaces(target_, options.m)) {
    if (options.strategy && *options.strategy != space.strategy())
      continue;
    for (const Candidate &c : space.candidates(ctx_)) {
      if (options.k % packingGroupSize(c.packing) != 0 ||
          (options.packing && *options.packing != c.packing) ||
          (options.tileN && *options.tileN != c.kernel.getTileN()) || c.key() == fallback.key())
        continue;
      all.push_back(c);
    }
  }
  return all;
}

Tuner::Compiled Tuner::compile(const Candidate &c, const TuneOptions &options, int64_t seq) {
  MatmulKernelSpec spec;
  spec.m = options.m;
  spec.n = options.n;
  spec.k = options.k;
  spec.strategy = c.strategy;
  spec.packing = c.packing;
  spec.kernel = c.kernel;
  Compiled result;
  result.dir = scratch_ + "/candidate-" + std::to_string(seq);
  if (llvm::Error e = writeMatmulKernelArtifact(ctx_, spec, target_, result.dir, false)) {
    result.error = llvm::toString(std::move(e));
    result.dir.clear();
  }
  return result;
}

Measurement Tuner::measure(const Candidate &c, const Compiled &compiled,
                           const TuneOptions &options, const measure::ReferenceCase &reference) {
  Measurement m = describe(c, options);
  m.bandwidthGBs = bandwidth_;
  if (compiled.dir.empty()) {
    m.status = "failed";
    m.message = compiled.error;
    return m;
  }
  std::string error;
  bool invalid = false;
  auto kernel = measure::CheckedKernel::load(compiled.dir, runtime_, reference, error, invalid);
  if (!kernel) {
    m.status = invalid ? "invalid" : "failed";
    m.message = error;
    return m;
  }
  measure::Timing t = measure::timeInterleaved({kernel.get()}, runtime_,
                                               stream_.get(),
                                               options.samples)[0];
  m.medianUs = t.median * 1e6;
  m.minUs = t.min * 1e6;
  m.maxUs = t.max * 1e6;
  return m;
}

llvm::Expected<TuneResult> Tuner::tune(const TuneOptions &options,
                                       const std::function<void(const TuneProgress &)> &progress) {
  // Every call reads a fresh copy of the weights from DRAM, as a model's
  // decode steps and prefills do.
  if (!stream_)
    stream_ = std::make_unique<measure::WeightStream>();
  TuningKey key = TuningKey::of(target_, options.n, options.k, options.m, options.threads);
  std::vector<Candidate> all = candidates(options);
  // all[0] is the default only for the whole list of the spaces.
  std::string defaultKey = defaultCandidate(options).key();
  if (options.sliceCount > 1) {
    std::vector<Candidate> mine;
    for (size_t i = 0; i < all.size(); ++i)
      if (static_cast<int64_t>(i) % options.sliceCount == options.sliceIndex)
        mine.push_back(all[i]);
    all = std::move(mine);
  }
  SearchKind search = options.search;
  if (search == SearchKind::Auto)
    search = static_cast<int64_t>(all.size()) <= options.budget ? SearchKind::Exhaustive
                                                                : SearchKind::Evolution;
  int64_t budget = search == SearchKind::Exhaustive
                       ? static_cast<int64_t>(all.size())
                       : std::min<int64_t>(options.budget, static_cast<int64_t>(all.size()));

  TuneResult result;
  std::map<std::string, Measurement> done; // by candidate key
  std::map<std::string, size_t> indexOf;
  for (size_t i = 0; i < all.size(); ++i)
    indexOf[all[i].key()] = i;
  if (options.resume) {
    auto rows = db_.measurements(key);
    if (!rows)
      return rows.takeError();
    for (const Measurement &row : *rows) {
      std::string k = row.strategy + "/" + row.packing + " " + row.kernel;
      if (indexOf.count(k)) {
        done[k] = row;
        ++result.resumed;
      }
    }
  }

  measure::ReferenceCase reference(options.n, options.k, options.m);
  std::mt19937_64 rng(options.seed);
  auto start = Clock::now();
  int64_t seq = static_cast<int64_t>(done.size());
  bool outOfTime = false;
  const Measurement *best = nullptr;
  auto updateBest = [&]() {
    best = nullptr;
    for (auto &[k, m] : done)
      if (m.status == "ok" && (!best || m.medianUs < best->medianUs))
        best = &m;
  };
  updateBest();

  // Compiles `batch` (in a helper thread when a core is free beyond the
  // measuring threads) and measures it in order.
  bool overlap = static_cast<int64_t>(std::thread::hardware_concurrency()) > options.threads;
  auto runBatch = [&](const std::vector<Candidate> &batch) -> llvm::Error {
    std::vector<std::optional<Compiled>> compiled(batch.size());
    std::mutex mutex;
    std::condition_variable ready;
    std::atomic<bool> stop{false};
    std::thread compiler;
    int64_t firstSeq = seq;
    if (overlap)
      compiler = std::thread([&] {
        for (size_t i = 0; i < batch.size() && !stop; ++i) {
          Compiled c = compile(batch[i], options, firstSeq + static_cast<int64_t>(i));
          std::lock_guard<std::mutex> lock(mutex);
          compiled[i] = std::move(c);
          ready.notify_all();
        }
      });
    llvm::Error error = llvm::Error::success();
    for (size_t i = 0; i < batch.size(); ++i) {
      if (options.timeLimit > 0 && secondsSince(start) > options.timeLimit) {
        outOfTime = true;
        break;
      }
      Compiled c;
      if (overlap) {
        std::unique_lock<std::mutex> lock(mutex);
        ready.wait(lock, [&] { return compiled[i].has_value(); });
        c = std::move(*compiled[i]);
      } else {
        c = compile(batch[i], options, seq);
      }
      Measurement m = measure(batch[i], c, options, reference);
      m.seq = seq++;
      m.isDefault = batch[i].key() == defaultKey;
      if (!c.dir.empty())
        llvm::sys::fs::remove_directories(c.dir);
      if (llvm::Error e = db_.record(key, m)) {
        error = std::move(e);
        break;
      }
      ++result.measured;
      result.invalid += m.status == "invalid";
      result.failed += m.status == "failed";
      done[batch[i].key()] = m;
      updateBest();
      if (progress)
        progress({static_cast<int64_t>(done.size()), budget, secondsSince(start), best});
    }
    stop = true;
    if (compiler.joinable())
      compiler.join();
    return error;
  };
  auto notDone = [&](const Candidate &c) { return !done.count(c.key()); };
  auto remaining = [&]() { return budget - static_cast<int64_t>(done.size()); };

  std::vector<Candidate> first;
  if (search == SearchKind::Exhaustive) {
    for (const Candidate &c : all)
      if (notDone(c))
        first.push_back(c);
  } else {
    // The default, then a seeded random sample (the evolution's first
    // population is a quarter of the budget).
    std::vector<Candidate> rest(all.begin() + 1, all.end());
    std::shuffle(rest.begin(), rest.end(), rng);
    int64_t want = search == SearchKind::Random ? remaining() : std::max<int64_t>(4, budget / 4);
    if (notDone(all[0]))
      first.push_back(all[0]);
    for (const Candidate &c : rest)
      if (static_cast<int64_t>(first.size()) < std::min(want, remaining()) && notDone(c))
        first.push_back(c);
  }
  if (llvm::Error e = runBatch(first))
    return std::move(e);

  if (search == SearchKind::Evolution) {
    // Tournament selection among the measured, a one-step mutation of one
    // parameter (or the packing), four children per generation.
    std::map<Strategy, const SearchSpace *> spaces;
    std::vector<SearchSpace> owned = allSearchSpaces(target_, options.m);
    for (const SearchSpace &s : owned)
      spaces[s.strategy()] = &s;
    int stale = 0;
    while (remaining() > 0 && !outOfTime && stale < 50) {
      std::vector<const Candidate *> ok;
      for (const Candidate &c : all)
        if (auto it = done.find(c.key()); it != done.end() && it->second.status == "ok")
          ok.push_back(&c);
      if (ok.empty())
        break;
      auto time = [&](const Candidate *c) { return done[c->key()].medianUs; };
      std::vector<Candidate> children;
      std::set<std::string> planned;
      for (int attempt = 0; attempt < 64 && static_cast<int64_t>(children.size()) <
                                                std::min<int64_t>(4, remaining());
           ++attempt) {
        std::uniform_int_distribution<size_t> pick(0, ok.size() - 1);
        const Candidate *a = ok[pick(rng)], *b = ok[pick(rng)];
        const Candidate *parent = time(a) <= time(b) ? a : b;
        const SearchSpace &space = *spaces[parent->strategy];
        std::vector<int64_t> coords = space.coordinates(*parent);
        std::uniform_int_distribution<size_t> dim(0, coords.size() - 1);
        size_t d = dim(rng);
        int64_t size = d == 0 ? static_cast<int64_t>(space.packings().size())
                              : static_cast<int64_t>(space.parameters()[d - 1].values.size());
        if (size < 2)
          continue;
        coords[d] = (coords[d] + (rng() % 2 ? 1 : size - 1)) % size;
        std::optional<Candidate> child = space.candidate(ctx_, space.index(coords));
        if (!child || !indexOf.count(child->key()) || !notDone(*child) ||
            !planned.insert(child->key()).second)
          continue;
        children.push_back(*child);
      }
      if (children.empty()) {
        // The neighbourhood is exhausted: a random unmeasured candidate.
        std::vector<Candidate> open;
        for (const Candidate &c : all)
          if (notDone(c))
            open.push_back(c);
        if (open.empty())
          break;
        children.push_back(open[rng() % open.size()]);
        ++stale;
      }
      if (llvm::Error e = runBatch(children))
        return std::move(e);
    }
  }

  // Finalists: the fastest few and the default, timed side by side. On a
  // shared machine a quiet minute can make a candidate timed once look faster
  // than the finalists timed in a busy one; so the ranking is redone with the
  // new times, and while its top is not all from the last round, that top is
  // timed again (a few rounds at most).
  constexpr int kFinalRounds = 4;
  std::set<std::string> lastRound;
  std::map<std::string, std::unique_ptr<measure::CheckedKernel>> loaded;
  for (int round = 0; round < kFinalRounds; ++round) {
    std::vector<std::pair<double, std::string>> ranked;
    for (auto &[k, m] : done)
      if (m.status == "ok")
        ranked.push_back({m.medianUs, k});
    std::sort(ranked.begin(), ranked.end());
    std::vector<std::string> finalKeys;
    for (size_t i = 0; i < ranked.size() && static_cast<int>(i) < options.finalists; ++i)
      finalKeys.push_back(ranked[i].second);
    if (indexOf.count(defaultKey) && done.count(defaultKey) &&
        done[defaultKey].status == "ok" &&
        std::find(finalKeys.begin(), finalKeys.end(), defaultKey) == finalKeys.end())
      finalKeys.push_back(defaultKey);
    if (finalKeys.size() < 2 ||
        std::all_of(finalKeys.begin(), finalKeys.end(),
                    [&](const std::string &k) { return lastRound.count(k); }))
      break;
    std::vector<measure::CheckedKernel *> timed;
    std::vector<std::string> timedKeys;
    for (const std::string &k : finalKeys) {
      if (!loaded.count(k)) {
        Compiled c = compile(all[indexOf[k]], options, seq + static_cast<int64_t>(loaded.size()));
        std::string error;
        bool invalid = false;
        loaded[k] = c.dir.empty() ? nullptr
                                  : measure::CheckedKernel::load(c.dir, runtime_, reference,
                                                                 error, invalid);
      }
      if (!loaded[k])
        continue;
      timed.push_back(loaded[k].get());
      timedKeys.push_back(k);
    }
    std::vector<measure::Timing> timings = measure::timeInterleaved(
        timed, runtime_, stream_.get(), 15);
    lastRound.clear();
    for (size_t i = 0; i < timed.size(); ++i) {
      Measurement &m = done[timedKeys[i]];
      m.medianUs = timings[i].median * 1e6;
      m.minUs = timings[i].min * 1e6;
      m.maxUs = timings[i].max * 1e6;
      m.message = "re-timed among the finalists";
      lastRound.insert(timedKeys[i]);
      if (llvm::Error e = db_.record(key, m))
        return std::move(e);
    }
  }
  updateBest();
  if (best)
    result.best = *best;
  if (auto it = done.find(defaultKey); it != done.end())
    result.defaultKernel = it->second;
  return result;
}

} // namespace tern
