//===- ThreadPool.cpp -----------------------------------------------------===//
#include "runtime/src/ThreadPool.h"

#include <algorithm>

#if defined(__x86_64__)
#include <immintrin.h>
#define TERN_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define TERN_CPU_RELAX() asm volatile("yield")
#else
#define TERN_CPU_RELAX() ((void)0)
#endif

namespace tern::rt {

// About 50-100 microseconds of polling before a thread goes to sleep.
static constexpr int kSpinIterations = 20000;
static thread_local bool tlsInsideTask = false;
// An owner takes a quarter of what is left of its share at a time: few
// calls while there is much to do, single iterations near the end.
static constexpr int64_t kGrainDivisor = 4;

static constexpr int64_t kMaxUnits = 0x7fffffff;

static uint64_t packRange(int64_t begin, int64_t end) {
  return static_cast<uint64_t>(begin) << 32 | static_cast<uint64_t>(end);
}
static int64_t rangeBegin(uint64_t range) { return static_cast<int64_t>(range >> 32); }
static int64_t rangeEnd(uint64_t range) { return static_cast<int64_t>(range & 0xffffffffu); }

ThreadPool::ThreadPool(int numThreads) {
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  spinIterations_ = static_cast<unsigned>(std::max(numThreads, 1)) <= cores ? kSpinIterations : 0;
  shares_ = std::make_unique<Share[]>(static_cast<size_t>(std::max(numThreads, 1)));
  for (int i = 1; i < std::max(numThreads, 1); ++i)
    workers_.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  publish();
  for (std::thread &t : workers_)
    t.join();
}

void ThreadPool::publish() {
  // Sequentially consistent with the sleepers' count: either a worker about
  // to sleep sees the new generation, or this sees it counted and wakes it
  // (the lock waits until it is really waiting).
  generation_.fetch_add(1);
  if (sleepingWorkers_.load() > 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    wake_.notify_all();
  }
}

uint64_t ThreadPool::awaitGeneration(uint64_t seen) {
  uint64_t current = generation_.load(std::memory_order_acquire);
  for (int spin = 0; current == seen && spin < spinIterations_; ++spin) {
    TERN_CPU_RELAX();
    current = generation_.load(std::memory_order_acquire);
  }
  if (current != seen)
    return current;
  std::unique_lock<std::mutex> lock(mutex_);
  sleepingWorkers_.fetch_add(1);
  wake_.wait(lock, [&] { return generation_.load() != seen; });
  sleepingWorkers_.fetch_sub(1);
  return generation_.load();
}

bool ThreadPool::takeFront(int self, int64_t &begin, int64_t &end) {
  std::atomic<uint64_t> &range = shares_[self].range;
  uint64_t current = range.load(std::memory_order_acquire);
  while (rangeBegin(current) < rangeEnd(current)) {
    begin = rangeBegin(current);
    end = begin + std::max<int64_t>(1, (rangeEnd(current) - begin) / kGrainDivisor);
    if (range.compare_exchange_weak(current, packRange(end, rangeEnd(current)),
                                    std::memory_order_acq_rel))
      return true;
  }
  return false;
}

bool ThreadPool::stealInto(int self) {
  for (int offset = 1; offset < chunks_; ++offset) {
    std::atomic<uint64_t> &range = shares_[(self + offset) % chunks_].range;
    uint64_t current = range.load(std::memory_order_acquire);
    while (rangeBegin(current) < rangeEnd(current)) {
      int64_t end = rangeEnd(current);
      int64_t split = end - (end - rangeBegin(current) + 1) / 2;
      if (range.compare_exchange_weak(current, packRange(rangeBegin(current), split),
                                      std::memory_order_acq_rel)) {
        // This thread's share was empty, so no one else writes it now.
        shares_[self].range.store(packRange(split, end), std::memory_order_release);
        return true;
      }
    }
  }
  return false;
}

void ThreadPool::runShares(int self) {
  int64_t begin, end;
  do {
    while (takeFront(self, begin, end))
      fn_(closure_, begin * unit_, std::min(end * unit_, count_));
  } while (stealInto(self));
}

void ThreadPool::workerLoop(int index) {
  tlsInsideTask = true;
  uint64_t seen = 0;
  while (true) {
    seen = awaitGeneration(seen);
    if (stop_.load())
      return;
    if (index < chunks_)
      runShares(index);
    // Every worker acknowledges every dispatch, even without a chunk, so none
    // can still be reading this job's fields when the next one is published.
    if (pending_.fetch_sub(1) == 1 && callerSleeping_.load()) {
      std::lock_guard<std::mutex> lock(mutex_);
      done_.notify_one();
    }
  }
}

void ThreadPool::parallelFor(int64_t count, tern_task_fn fn, void *closure) {
  if (count <= 0)
    return;
  if (tlsInsideTask || workers_.empty() || count == 1) {
    fn(closure, 0, count);
    return;
  }
  std::lock_guard<std::mutex> callerLock(callerMutex_);
  fn_ = fn;
  closure_ = closure;
  count_ = count;
  // Shares count units of iterations that fit 32 bits: one iteration each
  // for every loop of a model.
  unit_ = count / kMaxUnits + 1;
  int64_t units = (count + unit_ - 1) / unit_;
  chunks_ = static_cast<int>(std::min<int64_t>(units, size()));
  for (int chunk = 0; chunk < chunks_; ++chunk)
    shares_[chunk].range.store(packRange(units * chunk / chunks_, units * (chunk + 1) / chunks_),
                               std::memory_order_relaxed);
  pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  publish();

  tlsInsideTask = true;
  runShares(0);
  tlsInsideTask = false;

  for (int spin = 0; pending_.load(std::memory_order_acquire) != 0 && spin < spinIterations_;
       ++spin)
    TERN_CPU_RELAX();
  if (pending_.load() != 0) {
    std::unique_lock<std::mutex> lock(mutex_);
    callerSleeping_.store(true);
    done_.wait(lock, [&] { return pending_.load() == 0; });
    callerSleeping_.store(false);
  }
}

} // namespace tern::rt
