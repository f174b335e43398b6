//===- TuningTest.cpp - search spaces, tuning database, kernel choice -----===//
//
// The database's migrations, its behaviour under concurrent writers and a
// killed tuner (tern-tune run as a process, killed with SIGKILL, resumed);
// kernel choice from tuning data; search spaces; the static cost model.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/KernelLayouts.h"
#include "compiler/pipeline/Registration.h"
#include "compiler/tuning/KernelChoice.h"
#include "tools/tern-tune/CostModel.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <csignal>
#include <set>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace tern;

namespace {

mlir::MLIRContext &context() { return ternContext(); }

class TuningDbTest : public ::testing::Test {
protected:
  void SetUp() override {
    llvm::SmallString<128> d;
    llvm::sys::path::system_temp_directory(true, d);
    llvm::sys::path::append(d, "tern-tuning-test-" + std::to_string(::getpid()) + "-" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
    dir = std::string(d);
    llvm::sys::fs::remove_directories(dir);
    llvm::sys::fs::create_directories(dir);
    path = dir + "/tuning.db";
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  /// Runs raw SQL on the database file (as another tool would).
  void sql(const std::string &text) {
    sqlite3 *db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    char *error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, text.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }

  int64_t rows() {
    auto db = TuningDb::open(path);
    EXPECT_TRUE(static_cast<bool>(db)) << llvm::toString(db.takeError());
    auto all = (*db)->all();
    return all ? static_cast<int64_t>(all->size()) : -1;
  }

  std::string dir, path;
};

TuningKey someKey(int64_t n = 64, int64_t m = 1) {
  return {"x86_64-unknown-linux-gnu", "znver3", "avx2,ssse3", n, 128, m, 1};
}

Measurement someMeasurement(const std::string &kernel, double us) {
  Measurement m;
  m.strategy = "mfree";
  m.packing = "i2";
  m.kernel = kernel;
  m.tileN = 16;
  m.tileM = 1;
  m.unrollK = 1;
  m.medianUs = m.minUs = m.maxUs = us;
  return m;
}

TEST_F(TuningDbTest, CreatesTheCurrentSchemaAndReadsBack) {
  auto db = TuningDb::open(path);
  ASSERT_TRUE(static_cast<bool>(db)) << llvm::toString(db.takeError());
  EXPECT_EQ((*db)->version(), TuningDb::currentVersion());
  Measurement m = someMeasurement("#tern.kernel<mfree, lanes = 8, tile_n = 16, tile_m = 1, unroll_k = 1>", 12.5);
  m.isDefault = true;
  m.seq = 3;
  ASSERT_FALSE(static_cast<bool>((*db)->record(someKey(), m)));
  auto rows = (*db)->measurements(someKey());
  ASSERT_TRUE(static_cast<bool>(rows));
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].kernel, m.kernel);
  EXPECT_DOUBLE_EQ((*rows)[0].medianUs, 12.5);
  EXPECT_TRUE((*rows)[0].isDefault);
  EXPECT_EQ((*rows)[0].seq, 3);
  auto has = (*db)->has(someKey(), "mfree", "i2", m.kernel);
  ASSERT_TRUE(static_cast<bool>(has));
  EXPECT_TRUE(*has);
  // Another shape has nothing.
  auto other = (*db)->measurements(someKey(128));
  ASSERT_TRUE(static_cast<bool>(other));
  EXPECT_TRUE(other->empty());
}

TEST_F(TuningDbTest, MigratesAVersion1Database) {
  // Version 1's schema, as the first release wrote it, with one row.
  sql("CREATE TABLE measurements (triple TEXT NOT NULL, cpu TEXT NOT NULL, features TEXT NOT "
      "NULL, n INTEGER NOT NULL, k INTEGER NOT NULL, m INTEGER NOT NULL, threads INTEGER NOT "
      "NULL, strategy TEXT NOT NULL, packing TEXT NOT NULL, kernel TEXT NOT NULL, tile_n INTEGER "
      "NOT NULL, tile_m INTEGER NOT NULL, unroll_k INTEGER NOT NULL, prefetch INTEGER NOT NULL, "
      "streams INTEGER NOT NULL, status TEXT NOT NULL, median_us REAL, min_us REAL, max_us "
      "REAL, bandwidth_gbs REAL, message TEXT, measured_at TEXT NOT NULL DEFAULT "
      "CURRENT_TIMESTAMP, PRIMARY KEY (triple, cpu, features, n, k, m, threads, strategy, "
      "packing, kernel));"
      "INSERT INTO measurements (triple, cpu, features, n, k, m, threads, strategy, packing, "
      "kernel, tile_n, tile_m, unroll_k, prefetch, streams, status, median_us) VALUES "
      "('x86_64-unknown-linux-gnu', 'znver3', 'avx2,ssse3', 64, 128, 1, 1, 'mfree', 'i2', 'K', "
      "16, 1, 1, 0, 1, 'ok', 9.0);"
      "PRAGMA user_version = 1;");
  auto db = TuningDb::open(path);
  ASSERT_TRUE(static_cast<bool>(db)) << llvm::toString(db.takeError());
  EXPECT_EQ((*db)->version(), TuningDb::currentVersion());
  auto rows = (*db)->measurements(someKey());
  ASSERT_TRUE(static_cast<bool>(rows));
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_DOUBLE_EQ((*rows)[0].medianUs, 9.0);
  EXPECT_EQ((*rows)[0].seq, 0);
  EXPECT_FALSE((*rows)[0].isDefault);
}

TEST_F(TuningDbTest, RefusesANewerSchemaAndOtherFiles) {
  sql("CREATE TABLE t (x); PRAGMA user_version = 99;");
  auto newer = TuningDb::open(path);
  ASSERT_FALSE(static_cast<bool>(newer));
  EXPECT_NE(llvm::toString(newer.takeError()).find("schema version 99, newer than"),
            std::string::npos);
  std::string garbage = dir + "/garbage.db";
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(garbage, ec);
    os << std::string(4096, 'x');
  }
  auto notDb = TuningDb::open(garbage);
  ASSERT_FALSE(static_cast<bool>(notDb));
  EXPECT_NE(llvm::toString(notDb.takeError()).find(garbage), std::string::npos);
}

TEST_F(TuningDbTest, ConcurrentWritersLoseNothing) {
  constexpr int kWriters = 3, kRows = 60;
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto db = TuningDb::open(path);
      if (!db)
        ::_exit(2);
      for (int i = 0; i < kRows; ++i)
        if ((*db)->record(someKey(), someMeasurement("K" + std::to_string(w) + "-" +
                                                         std::to_string(i),
                                                     i)))
          ::_exit(3);
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "writer status " << status;
  }
  EXPECT_EQ(rows(), kWriters * kRows);
  sqlite3 *raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  sqlite3_stmt *check = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &check, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(check), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char *>(sqlite3_column_text(check, 0)), "ok");
  sqlite3_finalize(check);
  sqlite3_close(raw);
}

/// Runs tern-tune with `args`; returns its exit code and output.
int runTune(const std::vector<std::string> &args, std::string &output, const std::string &log) {
  llvm::SmallVector<llvm::StringRef> argv = {TERN_TUNE_PATH};
  for (const std::string &a : args)
    argv.push_back(a);
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(log),
                                                llvm::StringRef(log)};
  int rc = llvm::sys::ExecuteAndWait(TERN_TUNE_PATH, argv, std::nullopt, redirects, 600);
  auto text = llvm::MemoryBuffer::getFile(log);
  output = text ? (*text)->getBuffer().str() : "";
  return rc;
}

TEST_F(TuningDbTest, AKilledTunerLosesNothingAndResumes) {
  // A small exhaustive space: lut2 for one decode shape (36 candidates).
  std::vector<std::string> args = {"shape",  "--shape",  "64x256",     "--m",     "1",
                                   "--strategy", "lut",  "--packing",  "lut2",    "--search",
                                   "exhaustive", "--samples", "1",     "--quiet", "--db",
                                   path};
  auto target = resolveTarget("host", "", "");
  ASSERT_TRUE(static_cast<bool>(target));
  int64_t candidates = 0;
  for (const Candidate &c : searchSpaceFor(Strategy::lut, *target, 1).candidates(&context()))
    candidates += c.packing == Packing::lut2;

  llvm::SmallVector<llvm::StringRef> argv = {TERN_TUNE_PATH};
  for (const std::string &a : args)
    argv.push_back(a);
  std::string log = dir + "/first.log";
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(log),
                                                llvm::StringRef(log)};
  llvm::sys::ProcessInfo process =
      llvm::sys::ExecuteNoWait(TERN_TUNE_PATH, argv, std::nullopt, redirects);
  ASSERT_GT(process.Pid, 0);
  // Kill it (no chance to clean up) once a few measurements are committed.
  int64_t before = 0;
  auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(120)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!llvm::sys::fs::exists(path))
      continue;
    before = rows();
    if (before >= 5)
      break;
  }
  ::kill(process.Pid, SIGKILL);
  llvm::sys::Wait(process, std::nullopt);
  before = rows();
  ASSERT_GE(before, 5) << "the tuner did not get going";
  ASSERT_LT(before, candidates) << "the tuner finished before it was killed";

  std::vector<std::string> resume = args;
  resume.push_back("--resume");
  std::string output;
  ASSERT_EQ(runTune(resume, output, dir + "/resume.log"), 0) << output;
  EXPECT_NE(output.find("(" + std::to_string(before) + " resumed"), std::string::npos) << output;
  EXPECT_EQ(rows(), candidates) << output;
}

TEST_F(TuningDbTest, SeededRandomSearchesRepeat) {
  auto kernelsOf = [&](const std::string &db) {
    std::string output;
    EXPECT_EQ(runTune({"shape", "--shape", "64x256", "--m", "1", "--search", "random", "--budget",
                       "4", "--seed", "7", "--samples", "1", "--quiet", "--db", db},
                      output, db + ".log"),
              0)
        << output;
    std::set<std::string> kernels;
    auto opened = TuningDb::open(db);
    EXPECT_TRUE(static_cast<bool>(opened));
    auto all = (*opened)->all();
    for (auto &[key, m] : *all)
      kernels.insert(m.strategy + "/" + m.packing + " " + m.kernel);
    return kernels;
  };
  std::set<std::string> a = kernelsOf(dir + "/a.db"), b = kernelsOf(dir + "/b.db");
  EXPECT_EQ(a.size(), 4u);
  EXPECT_EQ(a, b);
}

TEST_F(TuningDbTest, TheTunedKernelAndTheDefaultAreTimedSideBySide) {
  // A first pass, then first-pass times as a quiet minute on a shared machine
  // can make them: five candidates at 1.0-1.4 ns. The four fastest are
  // re-timed (to their real, far longer, times), which leaves the fifth's
  // 1.4 ns the fastest in the database unless it is timed with them too.
  std::vector<std::string> args = {"shape",  "--shape",  "64x256",     "--m",     "1",
                                   "--strategy", "lut",  "--packing",  "lut2",    "--search",
                                   "exhaustive", "--samples", "1",     "--quiet", "--db",
                                   path};
  std::string output;
  ASSERT_EQ(runTune(args, output, dir + "/first.log"), 0) << output;
  {
    auto opened = TuningDb::open(path);
    ASSERT_TRUE(static_cast<bool>(opened));
    auto all = (*opened)->all();
    ASSERT_TRUE(static_cast<bool>(all));
    int seeded = 0;
    for (auto &[key, m] : *all) {
      if (m.status != "ok" || m.isDefault || seeded == 5)
        continue;
      m.medianUs = m.minUs = m.maxUs = 0.001 * (1.0 + 0.1 * seeded++);
      m.message.clear();
      ASSERT_FALSE(static_cast<bool>((*opened)->record(key, m)));
    }
    ASSERT_EQ(seeded, 5);
  }
  args.push_back("--resume");
  ASSERT_EQ(runTune(args, output, dir + "/resume.log"), 0) << output;

  auto opened = TuningDb::open(path);
  ASSERT_TRUE(static_cast<bool>(opened));
  auto all = (*opened)->all();
  ASSERT_TRUE(static_cast<bool>(all));
  const Measurement *fastest = nullptr, *byDefault = nullptr;
  for (auto &[key, m] : *all) {
    if (m.status != "ok")
      continue;
    EXPECT_GT(m.medianUs, 0.01) << m.kernel << " kept its seeded first-pass time";
    if (!fastest || m.medianUs < fastest->medianUs)
      fastest = &m;
    if (m.isDefault)
      byDefault = &m;
  }
  ASSERT_TRUE(fastest && byDefault) << output;
  const std::string finalist = "re-timed among the finalists";
  EXPECT_EQ(fastest->message, finalist) << fastest->kernel;
  EXPECT_EQ(byDefault->message, finalist) << byDefault->kernel;
  size_t tuned = output.find("tuned");
  ASSERT_NE(tuned, std::string::npos) << output;
  EXPECT_NE(output.find(fastest->kernel, tuned), std::string::npos) << output;
}

TEST_F(TuningDbTest, KernelChoiceFollowsTheFastestFittingMeasurement) {
  auto target = resolveTarget("x86_64", "x86-64-v3", "");
  ASSERT_TRUE(static_cast<bool>(target));
  KernelRequest request{1, 256, 512, 2, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
  // Without data: the documented default, saying so.
  KernelChoice none = chooseKernel(&context(), *target, request, nullptr);
  EXPECT_EQ(none.candidate.strategy, Strategy::mfree);
  EXPECT_EQ(none.candidate.packing, Packing::i2);
  EXPECT_NE(none.reason.find("documented default"), std::string::npos);

  auto db = TuningDb::open(path);
  ASSERT_TRUE(static_cast<bool>(db));
  TuningKey key = TuningKey::of(*target, 256, 512, 1, 2);
  auto record = [&](const char *strategy, const char *packing, const char *kernel, double us,
                    const char *status = "ok") {
    Measurement m = someMeasurement(kernel, us);
    m.strategy = strategy;
    m.packing = packing;
    m.status = status;
    ASSERT_FALSE(static_cast<bool>((*db)->record(key, m)));
  };
  record("mfree", "base3", "#tern.kernel<mfree, lanes = 8, tile_n = 48, tile_m = 1, unroll_k = 1>", 5.0);
  record("mfree", "i2", "#tern.kernel<mfree, lanes = 8, tile_n = 16, tile_m = 1, unroll_k = 2>", 6.0);
  record("lut", "lut2", "#tern.kernel<lut, lanes = 8, tile_n = 32, tile_m = 1, unroll_k = 1>", 1.0,
         "invalid");
  KernelChoice tuned = chooseKernel(&context(), *target, request, db->get());
  EXPECT_EQ(tuned.candidate.packing, Packing::base3);
  EXPECT_EQ(tuned.candidate.kernel.getTileN(), 48);
  EXPECT_NE(tuned.reason.find("tuned: the fastest of 2 candidates"), std::string::npos)
      << tuned.reason;

  request.packing = Packing::i2;
  KernelChoice i2 = chooseKernel(&context(), *target, request, db->get());
  EXPECT_EQ(i2.candidate.packing, Packing::i2);
  EXPECT_EQ(i2.candidate.kernel.getUnrollK(), 2);

  // A layout fixed elsewhere that no measurement has: the default, moved to it.
  request.packing.reset();
  request.tileN = 64;
  KernelChoice fixed = chooseKernel(&context(), *target, request, db->get());
  EXPECT_EQ(fixed.candidate.kernel.getTileN(), 64);
  EXPECT_NE(fixed.reason.find("none fitting"), std::string::npos) << fixed.reason;

  // Other thread counts have no data.
  request.tileN.reset();
  request.threads = 1;
  EXPECT_NE(chooseKernel(&context(), *target, request, db->get()).reason.find("no measurements"),
            std::string::npos);
}

TEST_F(TuningDbTest, PrefillOnAmxSharesTheDecodeLayout) {
  auto target = resolveTarget("x86_64", "sapphirerapids", "");
  ASSERT_TRUE(static_cast<bool>(target));
  // Without data, prefill of i2 and base3 weights runs on AMX tiles, in the
  // layout asked for; lut packings take lut, and K that is not whole tiles
  // mfree.
  KernelRequest prefill{128, 256, 512, 2, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
  EXPECT_EQ(chooseKernel(&context(), *target, prefill, nullptr).candidate.strategy, Strategy::amx);
  prefill.tileN = 48;
  KernelAttr odd = chooseKernel(&context(), *target, prefill, nullptr).candidate.kernel;
  EXPECT_EQ(odd.getStrategy(), Strategy::amx);
  EXPECT_EQ(odd.getTileN(), 48);
  // Two weight tiles a step, in tasks of two blocks of three.
  EXPECT_EQ(odd.getUnrollK(), 2);
  // Where two decoded blocks would not fit the stack budget, one tile a step.
  KernelRequest deepOdd{128, 256, 16384, 2, std::nullopt, std::nullopt, 48, std::nullopt};
  EXPECT_EQ(chooseKernel(&context(), *target, deepOdd, nullptr).candidate.kernel.getUnrollK(), 1);
  prefill.packing = Packing::base3;
  EXPECT_EQ(chooseKernel(&context(), *target, prefill, nullptr).candidate.strategy, Strategy::amx);
  prefill.packing = Packing::lut3;
  EXPECT_EQ(chooseKernel(&context(), *target, prefill, nullptr).candidate.strategy, Strategy::lut);
  KernelRequest ragged{128, 256, 96, 2, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
  EXPECT_EQ(chooseKernel(&context(), *target, ragged, nullptr).candidate.strategy, Strategy::mfree);
  // A block's decoded weights would not fit the stack budget.
  KernelRequest deep{128, 256, 32768, 2, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
  EXPECT_EQ(chooseKernel(&context(), *target, deep, nullptr).candidate.strategy, Strategy::mfree);

  // The shared layout: base3 decodes faster, but i2 with AMX prefill costs
  // less per token; a layout measured for decode only does not count.
  auto db = TuningDb::open(path);
  ASSERT_TRUE(static_cast<bool>(db));
  auto record = [&](int64_t m, const char *strategy, const char *packing, int64_t tileN,
                    const char *kernel, double us) {
    Measurement row = someMeasurement(kernel, us);
    row.strategy = strategy;
    row.packing = packing;
    row.tileN = tileN;
    ASSERT_FALSE(static_cast<bool>((*db)->record(TuningKey::of(*target, 256, 512, m, 2), row)));
  };
  record(1, "mfree", "base3", 48, "#tern.kernel<mfree, lanes = 16, tile_n = 48, tile_m = 1, unroll_k = 1>", 10);
  record(1, "mfree", "i2", 64, "#tern.kernel<mfree, lanes = 16, tile_n = 64, tile_m = 1, unroll_k = 1>", 11);
  record(1, "lut", "lut3", 64, "#tern.kernel<lut, lanes = 16, tile_n = 64, tile_m = 1, unroll_k = 1>", 1);
  record(128, "mfree", "base3", 48, "#tern.kernel<mfree, lanes = 16, tile_n = 48, tile_m = 4, unroll_k = 1>", 1000);
  record(128, "amx", "i2", 64, "#tern.kernel<amx, lanes = 16, tile_n = 64, tile_m = 2, unroll_k = 2>", 200);
  std::optional<SharedLayout> shared = chooseSharedLayout(*target, 256, 512, 2, 128, **db);
  ASSERT_TRUE(shared.has_value());
  EXPECT_EQ(shared->packing, Packing::i2);
  EXPECT_EQ(shared->tileN, 64);
  EXPECT_NE(shared->reason.find("base3 tile_n 48: 10.0 + 1000.0 us / 128 rows"), std::string::npos)
      << shared->reason;
  EXPECT_FALSE(chooseSharedLayout(*target, 256, 512, 1, 128, **db).has_value())
      << "no measurements for 1 thread";

  // Prefill reads the weights in the K slabs the decode kernel fixed, tuned
  // or not; a lut kernel cannot, and keeps its one stream.
  KernelRequest slabbed{128, 256, 512, 2, std::nullopt, Packing::i2, 64, 4};
  KernelChoice tuned = chooseKernel(&context(), *target, slabbed, db->get());
  EXPECT_EQ(tuned.candidate.strategy, Strategy::amx);
  EXPECT_EQ(kernelSlabs(tuned.candidate.kernel), 4);
  EXPECT_NE(tuned.reason.find("tuned"), std::string::npos) << tuned.reason;
  EXPECT_EQ(kernelSlabs(chooseKernel(&context(), *target, slabbed, nullptr).candidate.kernel), 4);
  slabbed.packing = Packing::lut3;
  EXPECT_EQ(chooseKernel(&context(), *target, slabbed, nullptr).candidate.kernel.getStreams(), 1);
}

TEST_F(TuningDbTest, PrefillDefaultsWhereDotProductsAreSlow) {
  auto haswell = resolveTarget("x86_64", "haswell", "");
  ASSERT_TRUE(static_cast<bool>(haswell));
  // AVX2 without VNNI: prefill of a free layout runs rowlut on idx3; decode
  // stays mfree.
  KernelRequest prefill{128, 2560, 2560, 2, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
  Candidate free = chooseKernel(&context(), *haswell, prefill, nullptr).candidate;
  EXPECT_EQ(free.strategy, Strategy::rowlut);
  EXPECT_EQ(free.packing, Packing::idx3);
  // Its coarse tasks: one a thread the kernel is chosen for, at least 2.
  EXPECT_EQ(free.kernel.getStreams(), 2);
  KernelRequest eight = prefill;
  eight.threads = 8;
  EXPECT_EQ(chooseKernel(&context(), *haswell, eight, nullptr).candidate.kernel.getStreams(), 8);
  KernelRequest decode{1, 2560, 2560, 2, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
  EXPECT_EQ(chooseKernel(&context(), *haswell, decode, nullptr).candidate.strategy, Strategy::mfree);
  // On decode's i2 layout prefill is mfree; wider blocks than its default
  // 16 rows take tiles of 2 activation rows instead of 3.
  prefill.packing = Packing::i2;
  for (auto [tileN, tileM] : {std::pair<int64_t, int64_t>{16, 3}, {32, 2}, {48, 2}, {64, 2}}) {
    prefill.tileN = tileN;
    Candidate c = chooseKernel(&context(), *haswell, prefill, nullptr).candidate;
    EXPECT_EQ(c.strategy, Strategy::mfree);
    EXPECT_EQ(c.kernel.getTileN(), tileN);
    EXPECT_EQ(c.kernel.getTileM(), tileM) << "tile_n = " << tileN;
  }
  // With VNNI (and no AMX) the int8 dot product wins: mfree.
  auto znver4 = resolveTarget("x86_64", "znver4", "");
  ASSERT_TRUE(static_cast<bool>(znver4));
  KernelRequest vnni{128, 2560, 2560, 2, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
  EXPECT_EQ(chooseKernel(&context(), *znver4, vnni, nullptr).candidate.strategy, Strategy::mfree);
}

TEST(SearchSpaceTest, EveryPointIsValidOrExplained) {
  for (auto [name, cpu] : {std::pair<const char *, const char *>{"x86_64", "x86-64-v4"},
                           {"x86_64", "sapphirerapids"}, {"nvptx", "sm_90"}}) {
    auto target = resolveTarget(name, cpu, "");
    ASSERT_TRUE(static_cast<bool>(target));
    for (int64_t m : {1, 128}) {
      for (const SearchSpace &space : allSearchSpaces(*target, m)) {
        int64_t valid = 0;
        for (int64_t i = 0; i < space.points(); ++i) {
          std::string why;
          std::optional<Candidate> c = space.candidate(&context(), i, &why);
          if (!c) {
            EXPECT_FALSE(why.empty());
            continue;
          }
          ++valid;
          EXPECT_EQ(c->strategy, space.strategy());
          EXPECT_TRUE(strategySupportsPacking(c->strategy, c->packing));
          EXPECT_EQ(space.index(space.coordinates(*c)), i) << c->key();
          EXPECT_GT(space.innerLoopMacs(*c, m), 0);
          if (m == 1)
            EXPECT_EQ(c->kernel.getTileM(), 1);
        }
        EXPECT_GT(valid, 10) << stringifyStrategy(space.strategy()).str();
      }
    }
  }
}

TEST(CostModelTest, SpearmanRanks) {
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3, 4}, {10, 20, 30, 40}), 1.0);
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0);
  EXPECT_NEAR(spearman({1, 2, 3, 4, 5}, {2, 1, 4, 3, 5}), 0.8, 1e-12);
  EXPECT_TRUE(std::isnan(spearman({1, 2}, {1, 2})));
  EXPECT_TRUE(std::isnan(spearman({1, 1, 1}, {1, 2, 3})));
}

TEST(CostModelTest, FindsTheHottestInnerLoop) {
  const char *assembly = "f:\n"
                         "\tmovq %rdi, %rax\n"
                         ".LBB0_1:\n"
                         "\taddq $1, %rax\n"
                         ".LBB0_2:\n"
                         "\tvpdpbusd %zmm1, %zmm2, %zmm3\n"
                         "\tvpdpbusd %zmm1, %zmm2, %zmm4\n"
                         "\tcmpq %rax, %rcx\n"
                         "\tjne .LBB0_2\n"
                         "\tjmp .LBB0_1\n"
                         ".LBB0_3:\n"
                         "\taddq $2, %rax\n"
                         "\tjne .LBB0_3\n"
                         "\tretq\n";
  EXPECT_EQ(hottestInnerLoop(assembly),
            "vpdpbusd %zmm1, %zmm2, %zmm3\nvpdpbusd %zmm1, %zmm2, %zmm4\ncmpq %rax, "
            "%rcx\njne .LBB0_2\n");
  EXPECT_EQ(hottestInnerLoop("f:\n\tretq\n"), "");
}

TEST(CostModelTest, PredictsATargetThisMachineCannotRun) {
  // An AArch64 core ranked through llvm-mca: wider register tiles reuse
  // each decoded weight for more rows, so they need fewer cycles per MAC.
  auto target = resolveTarget("aarch64", "neoverse-v2", "");
  ASSERT_TRUE(static_cast<bool>(target));
  CostModelParams params;
  auto candidate = [&](int64_t tileM) {
    return Candidate{Strategy::mfree, Packing::i2,
                     KernelAttr::get(&context(), Strategy::mfree, 4, 16, tileM, 1, 0, 1)};
  };
  auto narrow = predict(&context(), *target, candidate(1), 64, 256, 512, params);
  auto wide = predict(&context(), *target, candidate(4), 64, 256, 512, params);
  ASSERT_TRUE(static_cast<bool>(narrow)) << llvm::toString(narrow.takeError());
  ASSERT_TRUE(static_cast<bool>(wide)) << llvm::toString(wide.takeError());
  EXPECT_GT(narrow->cyclesPerIteration, 0);
  EXPECT_GT(wide->macsPerIteration, narrow->macsPerIteration);
  EXPECT_LT(wide->us(), narrow->us());
}

TEST(CostModelTest, EstimatesGpuKernelsFromBandwidthAndOccupancy) {
  auto gpu = loadMachineDescription(findMachineDescription("nvidia-h100"));
  ASSERT_TRUE(static_cast<bool>(gpu)) << llvm::toString(gpu.takeError());
  auto simt = [&](int64_t lanes, int64_t tileN, int64_t tileM, int64_t unroll) {
    return Candidate{Strategy::simt, Packing::i2,
                     KernelAttr::get(&context(), Strategy::simt, lanes, tileN, tileM, unroll, 0,
                                     32 / lanes)};
  };
  auto us = [&](const Candidate &c, int64_t m, int64_t n, int64_t k) {
    auto p = predictGpu(*gpu, c, m, n, k);
    EXPECT_TRUE(static_cast<bool>(p)) << llvm::toString(p.takeError());
    return p ? p->us() : 0.0;
  };
  // Decode streams the weights: more words in flight per warp go faster
  // while the grid is latency-bound, and the best reach 60% of the
  // described bandwidth (launch excluded).
  double unrolled = us(simt(4, 32, 1, 4), 1, 6912, 2560), single = us(simt(4, 32, 1, 1), 1, 6912, 2560);
  EXPECT_LT(unrolled, single);
  double bytes = 6912.0 * 2560 / 4;
  double streaming = bytes / ((unrolled - gpu->launchOverheadUs) * 1e3);
  EXPECT_GT(streaming, 0.6 * gpu->dramBandwidthGBs(gpu->cores)) << streaming << " GB/s";
  // A grid of fewer blocks than SMs leaves SMs idle: slower per byte.
  EXPECT_GT(us(simt(16, 128, 1, 4), 1, 640, 2560) / 640, us(simt(4, 16, 1, 4), 1, 640, 2560) / 640 * 1.1);
  // Prefill: each decoded word serves tile_m rows.
  EXPECT_LT(us(simt(8, 64, 8, 2), 128, 2560, 2560), us(simt(8, 64, 1, 2), 128, 2560, 2560));
  // CPUs and other strategies are refused, by name.
  auto cpu = loadMachineDescription(findMachineDescription("zen5-desktop"));
  ASSERT_TRUE(static_cast<bool>(cpu));
  auto refused = predictGpu(*cpu, simt(8, 64, 1, 2), 1, 64, 64);
  ASSERT_FALSE(static_cast<bool>(refused));
  EXPECT_NE(llvm::toString(refused.takeError()).find("describes a CPU"), std::string::npos);
}

} // namespace
