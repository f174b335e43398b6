//===- ThreadPoolTest.cpp - tern_parallel_for covers its range exactly once ===//
#include "runtime/include/tern/runtime.h"

#include <gtest/gtest.h>

#include <atomic>
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
    // One contiguous range per thread at most.
    EXPECT_LE(counts.calls.load(), std::min<int64_t>(std::max<int64_t>(n, 0), GetParam()));
  }
  tern_runtime_destroy(runtime);
}

// Alternating sizes leave some workers without a chunk in one dispatch and
// with one in the next: a worker late for the first must not run the second's.
TEST_P(ParallelForTest, AlternatingSizesNeverRunAChunkTwice) {
  tern_runtime *runtime = tern_runtime_create(GetParam());
  for (int round = 0; round < 3000; ++round) {
    int64_t n = 2 + round % 3;
    Counts counts(n);
    tern_parallel_for(runtime, n, countRange, &counts);
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(counts.hits[i].load(), 1) << "round " << round << ", index " << i << " of " << n;
  }
  tern_runtime_destroy(runtime);
}

TEST_P(ParallelForTest, ManyDispatchesInARow) {
  tern_runtime *runtime = tern_runtime_create(GetParam());
  Counts counts(10);
  for (int i = 0; i < 20000; ++i)
    tern_parallel_for(runtime, 10, countRange, &counts);
  for (auto &h : counts.hits)
    EXPECT_EQ(h.load(), 20000);
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
