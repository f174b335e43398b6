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

ThreadPool::ThreadPool(int numThreads) {
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  spinIterations_ = static_cast<unsigned>(std::max(numThreads, 1)) <= cores ? kSpinIterations : 0;
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

void ThreadPool::runChunk(int chunk) {
  int64_t begin = count_ * chunk / chunks_;
  int64_t end = count_ * (chunk + 1) / chunks_;
  if (begin < end)
    fn_(closure_, begin, end);
}

void ThreadPool::workerLoop(int index) {
  tlsInsideTask = true;
  uint64_t seen = 0;
  while (true) {
    seen = awaitGeneration(seen);
    if (stop_.load())
      return;
    if (index < chunks_)
      runChunk(index);
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
  chunks_ = static_cast<int>(std::min<int64_t>(count, size()));
  pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  publish();

  tlsInsideTask = true;
  runChunk(0);
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
