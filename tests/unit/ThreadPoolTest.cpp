//===- ThreadPoolTest.cpp - tern_parallel_for covers its range exactly once ===//
#include "runtime/include/tern/runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace {

struct Counts {
  std::vector<std::atomic<int>> hits;
  std::atomic<int> calls{0};
  explicit Counts(int64_t n) : hits(n) {}
};

void countRange(void *closure, int64_t begin, int64_t end) {
  auto *counts = static_cast<Counts *>(closure);
  counts->calls.fetch_add(1);
  for (int64_t i = begin; i < end; ++i)
    counts->hits[i].fetch_add(1);
}

class ParallelForTest : public ::testing::TestWithParam<int> {};

TEST_P(ParallelForTest, EveryIndexExactlyOnce) {
  tern_runtime *runtime = tern_runtime_create(GetParam());
  ASSERT_EQ(tern_runtime_num_threads(runtime), GetParam());
  for (int64_t n : {0, 1, 2, 3, 7, 64, 1000, 100003}) {
    Counts counts(n);
    tern_parallel_for(runtime, n, countRange, &counts);
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(counts.hits[i].load(), 1) << "index " << i << " of " << n;
  }
  tern_runtime_destroy(runtime);
}

struct Ranges {
  std::mutex mutex;
  std::vector<std::pair<int64_t, int64_t>> seen;
};

void recordRange(void *closure, int64_t begin, int64_t end) {
  auto *ranges = static_cast<Ranges *>(closure);
  std::lock_guard<std::mutex> lock(ranges->mutex);
  ranges->seen.push_back({begin, end});
}

// Shares are kept in 32 bits: a longer loop is split into units of several
// iterations, and still covered exactly once.
TEST_P(ParallelForTest, LoopsBeyond32BitsAreCoveredExactlyOnce) {
  tern_runtime *runtime = tern_runtime_create(GetParam());
  const int64_t n = (int64_t{1} << 33) + 12345;
  Ranges ranges;
  tern_parallel_for(runtime, n, recordRange, &ranges);
  std::sort(ranges.seen.begin(), ranges.seen.end());
  int64_t next = 0;
  for (auto [begin, end] : ranges.seen) {
    ASSERT_EQ(begin, next);
    ASSERT_LT(begin, end);
    next = end;
  }
  EXPECT_EQ(next, n);
  tern_runtime_destroy(runtime);
}

struct Stalled {
  std::vector<std::atomic<std::thread::id>> ranBy;
  std::atomic<bool> stalled{false};
  std::atomic<std::thread::id> stalledThread;
  explicit Stalled(int64_t n) : ranBy(n) {}
};

void stallOnce(void *closure, int64_t begin, int64_t end) {
  auto *s = static_cast<Stalled *>(closure);
  for (int64_t i = begin; i < end; ++i) {
    s->ranBy[i].store(std::this_thread::get_id());
    if (!s->stalled.exchange(true)) {
      s->stalledThread.store(std::this_thread::get_id());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

// The first thread to start is held up: the others take over what is left
// of its share, so it runs little more than the grain it had started.
TEST_P(ParallelForTest, IdleThreadsTakeOverAStalledShare) {
  if (GetParam() == 1)
    GTEST_SKIP() << "one thread has no one to share with";
  tern_runtime *runtime = tern_runtime_create(GetParam());
  const int64_t share = 64, n = share * GetParam();
  Stalled stalled(n);
  tern_parallel_for(runtime, n, stallOnce, &stalled);
  int64_t ranByStalled = 0;
  for (int64_t i = 0; i < n; ++i)
    ranByStalled += stalled.ranBy[i].load() == stalled.stalledThread.load();
  // Without stealing it would run its whole share.
  EXPECT_LT(ranByStalled, share / 2);
  tern_runtime_destroy(runtime);
}

struct Nested {
  tern_runtime *runtime;
  Counts *inner;
};

void nestedBody(void *closure, int64_t begin, int64_t end) {
  auto *n = static_cast<Nested *>(closure);
  for (int64_t i = begin; i < end; ++i)
    // A parallel-for inside a task runs inline instead of deadlocking.
    tern_parallel_for(n->runtime, 5, countRange, n->inner);
}

TEST_P(ParallelForTest, NestedCallsRunInline) {
  tern_runtime *runtime = tern_runtime_create(GetParam());
  Counts inner(5);
  Nested nested{runtime, &inner};
  tern_parallel_for(runtime, 8, nestedBody, &nested);
  for (auto &h : inner.hits)
    EXPECT_EQ(h.load(), 8);
  tern_runtime_destroy(runtime);
}

INSTANTIATE_TEST_SUITE_P(Threads, ParallelForTest, ::testing::Values(1, 2, 3, 8));

TEST(RuntimeTest, DefaultThreadCountIsTheNumberOfCpus) {
  tern_runtime *runtime = tern_runtime_create(0);
  EXPECT_EQ(tern_runtime_num_threads(runtime),
            static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  tern_runtime_destroy(runtime);
}

TEST(RuntimeTest, CallersOnSeveralThreadsShareOnePool) {
  tern_runtime *runtime = tern_runtime_create(2);
  Counts a(1000), b(1000);
  std::thread other([&] {
    for (int i = 0; i < 200; ++i)
      tern_parallel_for(runtime, 1000, countRange, &a);
  });
  for (int i = 0; i < 200; ++i)
    tern_parallel_for(runtime, 1000, countRange, &b);
  other.join();
  for (int64_t i = 0; i < 1000; ++i) {
    EXPECT_EQ(a.hits[i].load(), 200);
    EXPECT_EQ(b.hits[i].load(), 200);
  }
  tern_runtime_destroy(runtime);
}

} // namespace
