//===- TuningDb.cpp -------------------------------------------------------===//
#include "compiler/tuning/TuningDb.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace tern {
namespace {

/// Schema steps: step i takes the database from version i to i + 1. Never
/// edit a released step; append one.
const char *const kMigrations[] = {
    // 1: one row per measured candidate.
    "CREATE TABLE measurements ("
    "  triple TEXT NOT NULL, cpu TEXT NOT NULL, features TEXT NOT NULL,"
    "  n INTEGER NOT NULL, k INTEGER NOT NULL, m INTEGER NOT NULL, threads INTEGER NOT NULL,"
    "  strategy TEXT NOT NULL, packing TEXT NOT NULL, kernel TEXT NOT NULL,"
    "  tile_n INTEGER NOT NULL, tile_m INTEGER NOT NULL, unroll_k INTEGER NOT NULL,"
    "  prefetch INTEGER NOT NULL, streams INTEGER NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('ok', 'invalid', 'failed')),"
    "  median_us REAL, min_us REAL, max_us REAL, bandwidth_gbs REAL, message TEXT,"
    "  measured_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,"
    "  PRIMARY KEY (triple, cpu, features, n, k, m, threads, strategy, packing, kernel));",
    // 2: which run measured a candidate, and in what order (convergence
    // plots, resuming a seeded search).
    "ALTER TABLE measurements ADD COLUMN run TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE measurements ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX measurements_by_shape ON measurements (n, k, m, threads, status, median_us);",
    // 3: whether the candidate is the documented default (best-vs-default
    // reports).
    "ALTER TABLE measurements ADD COLUMN is_default INTEGER NOT NULL DEFAULT 0;",
};
constexpr int kVersion = sizeof(kMigrations) / sizeof(kMigrations[0]);

llvm::Error sqlError(sqlite3 *db, const std::string &what) {
  return llvm::createStringError(what + ": " + sqlite3_errmsg(db));
}

/// A prepared statement, finalized on scope exit.
class Statement {
public:
  Statement(sqlite3 *db, const char *sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
      stmt_ = nullptr;
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  bool ok() const { return stmt_ != nullptr; }
  Statement &bind(int i, const std::string &v) {
    sqlite3_bind_text(stmt_, i, v.c_str(), -1, SQLITE_TRANSIENT);
    return *this;
  }
  Statement &bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement &bind(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  int step() { return sqlite3_step(stmt_); }
  std::string text(int i) const {
    const unsigned char *t = sqlite3_column_text(stmt_, i);
    return t ? reinterpret_cast<const char *>(t) : "";
  }
  int64_t integer(int i) const { return sqlite3_column_int64(stmt_, i); }
  double real(int i) const { return sqlite3_column_double(stmt_, i); }

private:
  sqlite3 *db_;
  sqlite3_stmt *stmt_ = nullptr;
};

constexpr const char *kColumns =
    "triple, cpu, features, n, k, m, threads, strategy, packing, kernel, tile_n, tile_m, "
    "unroll_k, prefetch, streams, status, median_us, min_us, max_us, bandwidth_gbs, message, run, "
    "seq, is_default";

void bindKey(Statement &s, const TuningKey &key) {
  s.bind(1, key.triple).bind(2, key.cpu).bind(3, key.features).bind(4, key.n).bind(5, key.k);
  s.bind(6, key.m).bind(7, key.threads);
}

std::pair<TuningKey, Measurement> readRow(const Statement &s) {
  TuningKey key{s.text(0), s.text(1), s.text(2), s.integer(3), s.integer(4), s.integer(5),
                s.integer(6)};
  Measurement m;
  m.strategy = s.text(7);
  m.packing = s.text(8);
  m.kernel = s.text(9);
  m.tileN = s.integer(10);
  m.tileM = s.integer(11);
  m.unrollK = s.integer(12);
  m.prefetch = s.integer(13);
  m.streams = s.integer(14);
  m.status = s.text(15);
  m.medianUs = s.real(16);
  m.minUs = s.real(17);
  m.maxUs = s.real(18);
  m.bandwidthGBs = s.real(19);
  m.message = s.text(20);
  m.run = s.text(21);
  m.seq = s.integer(22);
  m.isDefault = s.integer(23) != 0;
  return {key, m};
}

} // namespace

TuningKey TuningKey::of(const TargetDesc &target, int64_t n, int64_t k, int64_t m,
                        int64_t threads) {
  return {target.triple, target.tuneCpu.empty() ? target.cpu : target.tuneCpu,
          llvm::join(target.features, ","), n, k, m, threads};
}

std::string TuningKey::describe() const {
  return std::to_string(n) + "x" + std::to_string(k) + " m=" + std::to_string(m) +
         " t=" + std::to_string(threads) + " on " + cpu;
}

int TuningDb::currentVersion() { return kVersion; }

llvm::Expected<std::unique_ptr<TuningDb>> TuningDb::open(const std::string &path) {
  llvm::StringRef parent = llvm::sys::path::parent_path(path);
  if (!parent.empty())
    if (std::error_code ec = llvm::sys::fs::create_directories(parent))
      return llvm::createStringError("cannot create " + parent.str() + ": " + ec.message());
  sqlite3 *raw = nullptr;
  if (sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string message = raw ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close(raw);
    return llvm::createStringError("cannot open tuning database " + path + ": " + message);
  }
  std::unique_ptr<TuningDb> db(new TuningDb(raw));
  // Writers wait for each other instead of failing: tuners commit often and
  // briefly.
  sqlite3_busy_timeout(raw, 60000);
  // Switching a new database to WAL races other tuners opening it; SQLite
  // reports some of those conflicts at once, without waiting (it would
  // deadlock), so they are retried here.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (llvm::Error e = db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")) {
    if ((sqlite3_errcode(raw) & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() > deadline)
      return llvm::createStringError(path + " is not a tuning database: " +
                                     llvm::toString(std::move(e)));
    consumeError(std::move(e));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (llvm::Error e = db->migrate())
    return llvm::createStringError(path + ": " + llvm::toString(std::move(e)));
  return db;
}

TuningDb::~TuningDb() { sqlite3_close(db_); }

llvm::Error TuningDb::exec(const char *sql) {
  char *message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    return llvm::createStringError(text);
  }
  return llvm::Error::success();
}

int TuningDb::version() const {
  Statement s(db_, "PRAGMA user_version");
  return s.ok() && s.step() == SQLITE_ROW ? static_cast<int>(s.integer(0)) : -1;
}

llvm::Error TuningDb::migrate() {
  // Under a write lock, so that two tuners opening a new database at once
  // do not both create it.
  if (llvm::Error e = exec("BEGIN IMMEDIATE"))
    return e;
  int from = version();
  if (from > kVersion) {
    consumeError(exec("ROLLBACK"));
    return llvm::createStringError("the database has schema version " + std::to_string(from) +
                                   ", newer than this Tern's " + std::to_string(kVersion));
  }
  for (int v = from; v < kVersion; ++v)
    if (llvm::Error e = exec(kMigrations[v])) {
      consumeError(exec("ROLLBACK"));
      return llvm::createStringError("migrating to schema version " + std::to_string(v + 1) +
                                     ": " + llvm::toString(std::move(e)));
    }
  std::string setVersion = "PRAGMA user_version = " + std::to_string(kVersion);
  if (llvm::Error e = exec(setVersion.c_str())) {
    consumeError(exec("ROLLBACK"));
    return e;
  }
  return exec("COMMIT");
}

llvm::Error TuningDb::record(const TuningKey &key, const Measurement &m) {
  std::string sql = std::string("INSERT OR REPLACE INTO measurements (") + kColumns +
                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                    "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)";
  Statement s(db_, sql.c_str());
  if (!s.ok())
    return sqlError(db_, "recording a measurement");
  bindKey(s, key);
  s.bind(8, m.strategy).bind(9, m.packing).bind(10, m.kernel).bind(11, m.tileN).bind(12, m.tileM);
  s.bind(13, m.unrollK).bind(14, m.prefetch).bind(15, m.streams).bind(16, m.status);
  s.bind(17, m.medianUs).bind(18, m.minUs).bind(19, m.maxUs).bind(20, m.bandwidthGBs);
  s.bind(21, m.message).bind(22, m.run).bind(23, m.seq).bind(24, int64_t(m.isDefault));
  if (s.step() != SQLITE_DONE)
    return sqlError(db_, "recording a measurement");
  return llvm::Error::success();
}

llvm::Expected<bool> TuningDb::has(const TuningKey &key, const std::string &strategy,
                                   const std::string &packing, const std::string &kernel) {
  Statement s(db_, "SELECT 1 FROM measurements WHERE triple = ?1 AND cpu = ?2 AND features = ?3 "
                   "AND n = ?4 AND k = ?5 AND m = ?6 AND threads = ?7 AND strategy = ?8 AND "
                   "packing = ?9 AND kernel = ?10");
  if (!s.ok())
    return sqlError(db_, "reading the tuning database");
  bindKey(s, key);
  s.bind(8, strategy).bind(9, packing).bind(10, kernel);
  int rc = s.step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return sqlError(db_, "reading the tuning database");
  return rc == SQLITE_ROW;
}

llvm::Expected<std::vector<Measurement>> TuningDb::measurements(const TuningKey &key) {
  std::string sql = std::string("SELECT ") + kColumns +
                    " FROM measurements WHERE triple = ?1 AND cpu = ?2 AND features = ?3 AND "
                    "n = ?4 AND k = ?5 AND m = ?6 AND threads = ?7 "
                    "ORDER BY status != 'ok', median_us, kernel";
  Statement s(db_, sql.c_str());
  if (!s.ok())
    return sqlError(db_, "reading the tuning database");
  bindKey(s, key);
  std::vector<Measurement> rows;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    rows.push_back(readRow(s).second);
  if (rc != SQLITE_DONE)
    return sqlError(db_, "reading the tuning database");
  return rows;
}

llvm::Expected<std::vector<std::pair<TuningKey, Measurement>>> TuningDb::all() {
  std::string sql = std::string("SELECT ") + kColumns +
                    " FROM measurements ORDER BY triple, cpu, n, k, m, threads, run, seq, kernel";
  Statement s(db_, sql.c_str());
  if (!s.ok())
    return sqlError(db_, "reading the tuning database");
  std::vector<std::pair<TuningKey, Measurement>> rows;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    rows.push_back(readRow(s));
  if (rc != SQLITE_DONE)
    return sqlError(db_, "reading the tuning database");
  return rows;
}

llvm::Expected<std::vector<TuningKey>> TuningDb::keys() {
  Statement s(db_, "SELECT DISTINCT triple, cpu, features, n, k, m, threads FROM measurements "
                   "ORDER BY triple, cpu, n, k, m, threads");
  if (!s.ok())
    return sqlError(db_, "reading the tuning database");
  std::vector<TuningKey> keys;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW)
    keys.push_back({s.text(0), s.text(1), s.text(2), s.integer(3), s.integer(4), s.integer(5),
                    s.integer(6)});
  if (rc != SQLITE_DONE)
    return sqlError(db_, "reading the tuning database");
  return keys;
}

std::string defaultTuningDbPath() {
  if (const char *explicitPath = std::getenv("TERN_TUNING_DB"); explicitPath && *explicitPath)
    return explicitPath;
  llvm::SmallString<256> path;
  if (const char *cache = std::getenv("XDG_CACHE_HOME"); cache && *cache)
    path = cache;
  else if (const char *home = std::getenv("HOME"); home && *home)
    llvm::sys::path::append(path, home, ".cache");
  else
    path = ".";
  llvm::sys::path::append(path, "tern", "tuning.db");
  return std::string(path);
}

} // namespace tern
