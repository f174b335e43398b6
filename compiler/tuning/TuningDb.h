//===- TuningDb.h - measured kernels, remembered ----------------*- C++ -*-===//
//
// A SQLite database (WAL) of every candidate the tuner measured, keyed by
// target triple, CPU name and features, shape (n, k, m), threads, strategy,
// packing and kernel parameters. Each measurement is committed on its own,
// so a tuner killed at any moment loses nothing it already measured; SQLite's
// locking (with a busy timeout) lets several tuners share one database. The
// schema is versioned (PRAGMA user_version) and migrated on open.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_TUNING_TUNINGDB_H
#define TERN_COMPILER_TUNING_TUNINGDB_H

#include "targets/Target.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace tern {

/// Where a measurement applies: a machine and a matmul.
struct TuningKey {
  std::string triple, cpu, features; // features: sorted, comma-separated
  int64_t n = 0, k = 0, m = 1, threads = 1;

  static TuningKey of(const TargetDesc &target, int64_t n, int64_t k, int64_t m, int64_t threads);
  std::string describe() const; // "2560x2560 m=1 t=2 on znver5"
};

struct Measurement {
  std::string strategy, packing;
  std::string kernel; // the #tern.kernel attribute, printed
  int64_t tileN = 0, tileM = 0, unrollK = 0, prefetch = 0, streams = 1;
  /// ok: checked bit-exact and timed; invalid: ran but differed from the
  /// reference; failed: did not compile or load (message says why).
  std::string status = "ok";
  double medianUs = 0, minUs = 0, maxUs = 0;
  double bandwidthGBs = 0; // the machine's, measured in the same run
  std::string message;
  std::string run; // which tuning run measured it
  int64_t seq = 0; // order within its run
  bool isDefault = false; // the documented default of its strategy
};

class TuningDb {
public:
  /// Opens (creating and migrating as needed) the database at `path`.
  static llvm::Expected<std::unique_ptr<TuningDb>> open(const std::string &path);
  ~TuningDb();

  /// The schema version this build writes.
  static int currentVersion();
  int version() const;

  /// Records one measurement (replacing an earlier one of the same
  /// candidate), committed before it returns.
  llvm::Error record(const TuningKey &key, const Measurement &m);
  /// Whether the candidate (strategy, packing, kernel) has a record for key.
  llvm::Expected<bool> has(const TuningKey &key, const std::string &strategy,
                           const std::string &packing, const std::string &kernel);
  /// The records of `key`, fastest first (failures last).
  llvm::Expected<std::vector<Measurement>> measurements(const TuningKey &key);
  /// Every record, for export and merging.
  llvm::Expected<std::vector<std::pair<TuningKey, Measurement>>> all();
  /// Distinct keys with measurements.
  llvm::Expected<std::vector<TuningKey>> keys();

private:
  explicit TuningDb(sqlite3 *db) : db_(db) {}
  llvm::Error exec(const char *sql);
  llvm::Error migrate();
  sqlite3 *db_;
};

/// $TERN_TUNING_DB, else $XDG_CACHE_HOME/tern/tuning.db, else
/// ~/.cache/tern/tuning.db: where tern-tune writes and ternc looks.
std::string defaultTuningDbPath();

} // namespace tern

#endif // TERN_COMPILER_TUNING_TUNINGDB_H
