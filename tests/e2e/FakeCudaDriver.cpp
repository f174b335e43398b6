//===- FakeCudaDriver.cpp - a CUDA driver that records instead of running -===//
//
// A test stand-in for libcuda.so.1 (the runtime opens $TERN_CUDA_LIBRARY):
// device memory is host memory, and cuLaunchKernel runs nothing but checks
// each launch against the PTX the module was loaded from: the kernel exists,
// the block is the kernel's .reqntid, the parameters are as many as it
// declares, and every pointer parameter points into memory allocated here.
// It lets the tests run a GPU model's host code, the runtime's GPU path and
// the launch ABI on machines without a GPU; the kernels' own arithmetic is
// tested elsewhere (ptxas, and their block form run on the CPU).
//
//===----------------------------------------------------------------------===//
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <regex>
#include <string>
#include <vector>

namespace {

struct Kernel {
  std::string name;
  std::vector<bool> pointerParams;
  unsigned threads = 0; // .reqntid x; 0: none declared
};

struct State {
  std::map<std::string, Kernel> kernels;
  std::map<uintptr_t, size_t> allocations; // begin -> bytes
  std::vector<std::string> problems;
  std::string lastLaunch;
  long launches = 0;
  std::string report;
};

State &state() {
  static State s;
  return s;
}

bool insideAllocation(uint64_t p) {
  auto &a = state().allocations;
  auto next = a.upper_bound(static_cast<uintptr_t>(p));
  if (next == a.begin())
    return false;
  --next;
  return p <= next->first + next->second;
}

constexpr int kSuccess = 0, kInvalidValue = 1, kNotFound = 500;

} // namespace

extern "C" {

int cuInit(unsigned) { return kSuccess; }
int cuDeviceGetCount(int *count) { return *count = 1, kSuccess; }
int cuDeviceGet(int *device, int) { return *device = 0, kSuccess; }
int cuDeviceGetAttribute(int *value, int attribute, int) {
  *value = attribute == 75 ? 9 : 0; // compute capability 9.0
  return kSuccess;
}
int cuDevicePrimaryCtxRetain(void **context, int) {
  static int primary;
  return *context = &primary, kSuccess;
}
int cuDevicePrimaryCtxRelease_v2(int) { return kSuccess; }
int cuCtxSetCurrent(void *) { return kSuccess; }

int cuModuleLoadDataEx(void **module, const void *image, unsigned, int *, void **) {
  std::string ptx(static_cast<const char *>(image));
  static const std::regex entry(R"(\.visible \.entry (\w+)\(([^)]*)\))");
  static const std::regex param(R"(\.param \.\w+( \.ptr)?)");
  static const std::regex reqntid(R"(^\s*\.reqntid (\d+))");
  for (auto it = std::sregex_iterator(ptx.begin(), ptx.end(), entry); it != std::sregex_iterator();
       ++it) {
    Kernel k;
    k.name = (*it)[1];
    std::string params = (*it)[2];
    for (auto p = std::sregex_iterator(params.begin(), params.end(), param);
         p != std::sregex_iterator(); ++p)
      k.pointerParams.push_back((*p)[1].matched);
    std::smatch threads;
    std::string after = ptx.substr(static_cast<size_t>(it->position() + it->length()), 200);
    if (std::regex_search(after, threads, reqntid))
      k.threads = static_cast<unsigned>(std::stoul(threads[1]));
    state().kernels[k.name] = k;
  }
  *module = &state();
  return state().kernels.empty() ? kInvalidValue : kSuccess;
}
int cuModuleUnload(void *) { return kSuccess; }
int cuModuleGetFunction(void **function, void *, const char *name) {
  auto found = state().kernels.find(name);
  if (found == state().kernels.end())
    return kNotFound;
  *function = &found->second;
  return kSuccess;
}

int cuMemAlloc_v2(uint64_t *ptr, size_t bytes) {
  void *p = std::calloc(bytes, 1);
  if (!p)
    return 2; // CUDA_ERROR_OUT_OF_MEMORY
  state().allocations[reinterpret_cast<uintptr_t>(p)] = bytes;
  *ptr = reinterpret_cast<uintptr_t>(p);
  return kSuccess;
}
int cuMemFree_v2(uint64_t ptr) {
  state().allocations.erase(static_cast<uintptr_t>(ptr));
  std::free(reinterpret_cast<void *>(static_cast<uintptr_t>(ptr)));
  return kSuccess;
}
int cuMemcpyHtoD_v2(uint64_t to, const void *from, size_t bytes) {
  if (!insideAllocation(to) || !insideAllocation(to + bytes))
    return kInvalidValue;
  std::memcpy(reinterpret_cast<void *>(static_cast<uintptr_t>(to)), from, bytes);
  return kSuccess;
}
int cuMemcpyDtoH_v2(void *to, uint64_t from, size_t bytes) {
  if (!insideAllocation(from) || !insideAllocation(from + bytes))
    return kInvalidValue;
  std::memcpy(to, reinterpret_cast<const void *>(static_cast<uintptr_t>(from)), bytes);
  return kSuccess;
}
int cuMemcpyDtoD_v2(uint64_t to, uint64_t from, size_t bytes) {
  std::memmove(reinterpret_cast<void *>(static_cast<uintptr_t>(to)),
               reinterpret_cast<const void *>(static_cast<uintptr_t>(from)), bytes);
  return kSuccess;
}

int cuLaunchKernel(void *function, unsigned gridX, unsigned gridY, unsigned gridZ, unsigned blockX,
                   unsigned blockY, unsigned blockZ, unsigned, void *, void **params, void **) {
  const Kernel &k = *static_cast<Kernel *>(function);
  State &s = state();
  ++s.launches;
  s.lastLaunch = k.name;
  auto problem = [&](const std::string &what) { s.problems.push_back(k.name + ": " + what); };
  if (gridX == 0 || gridY == 0 || gridZ != 1)
    problem("empty or 3-D grid");
  if (blockY != 1 || blockZ != 1 || (k.threads && blockX != k.threads))
    problem("block of " + std::to_string(blockX) + " threads, the kernel requires " +
            std::to_string(k.threads));
  // The runtime passes exactly the kernel's parameters; reading one past
  // them would be the caller's bug, so only the declared ones are read.
  for (size_t i = 0; i < k.pointerParams.size(); ++i) {
    uint64_t value = 0;
    std::memcpy(&value, params[i], k.pointerParams[i] ? 8 : 4);
    if (k.pointerParams[i] && !insideAllocation(value))
      problem("parameter " + std::to_string(i) + " points outside GPU memory");
  }
  return kSuccess;
}

int cuEventCreate(void **event, unsigned) {
  static int events;
  return *event = &events, kSuccess;
}
int cuEventDestroy_v2(void *) { return kSuccess; }
int cuEventRecord(void *, void *) { return kSuccess; }
int cuEventSynchronize(void *) { return kSuccess; }
int cuEventElapsedTime(float *ms, void *, void *) { return *ms = 1.0f, kSuccess; }
int cuStreamCreate(void **stream, unsigned) {
  static int streams;
  return *stream = &streams, kSuccess;
}
int cuStreamDestroy_v2(void *) { return kSuccess; }
int cuStreamSynchronize(void *) { return kSuccess; }
int cuGetErrorName(int error, const char **name) {
  *name = error == kNotFound ? "CUDA_ERROR_NOT_FOUND" : "CUDA_ERROR_INVALID_VALUE";
  return kSuccess;
}

/// For the tests: launches so far, then one line per problem.
const char *tern_fake_cuda_report(long *launches) {
  State &s = state();
  *launches = s.launches;
  s.report.clear();
  for (const std::string &p : s.problems)
    s.report += p + "\n";
  return s.report.c_str();
}

} // extern "C"
