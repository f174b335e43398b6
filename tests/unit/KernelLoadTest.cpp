//===- KernelLoadTest.cpp - the runtime refuses bad kernel artifacts ------===//
#include "runtime/include/tern/runtime.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace fs = std::filesystem;

namespace {

std::string readAll(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// An artifact directory around TERN_TEST_LIBRARY whose manifest each test
/// spoils in one way.
class KernelLoadTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("tern-load-test-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::copy_file(TERN_TEST_LIBRARY, dir / "kernel.so");
    std::string lib = readAll(dir / "kernel.so");
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx",
                  static_cast<unsigned long long>(tern_checksum64(lib.data(), lib.size())));
    checksum = hex;
  }
  void TearDown() override { fs::remove_all(dir); }

  std::string manifest(const std::string &format = "tern-kernel", int version = 1,
                       const std::string &arch = tern_host_arch(),
                       const std::string &features = "[\"sse2\"]",
                       const std::string &entry = "tern_test_symbol",
                       const std::string &n = "64") {
    return "{\"format\": \"" + format + "\", \"format_version\": " + std::to_string(version) +
           ", \"entry\": \"" + entry + "\", \"library\": \"kernel.so\", \"library_checksum\": \"" +
           checksum + "\", \"matmul\": {\"n\": " + n +
           ", \"k\": 128, \"m_hint\": 1, \"packing\": \"i2\", \"strategy\": \"mfree\", "
           "\"layout\": \"mfree_i2\", \"packed_bytes\": 2048, \"slabs\": 1, \"kernel\": {\"lanes\": 16, "
           "\"tile_n\": 32, \"tile_m\": 1, \"unroll_k\": 2, \"prefetch\": 0, \"streams\": 1}}, \"target\": {\"arch\": \"" +
           arch + "\", \"triple\": \"t\", \"cpu\": \"c\", \"features\": " + features + "}}";
  }

  void write(const std::string &text) { std::ofstream(dir / "manifest.json") << text; }

  /// Loads the artifact, expecting failure; returns the message.
  std::string loadError() {
    tern_kernel *k = tern_kernel_load(dir.c_str());
    if (k) {
      tern_kernel_unload(k);
      return "(loaded)";
    }
    return tern_last_error();
  }

  fs::path dir;
  std::string checksum;
};

#define EXPECT_ERROR_CONTAINS(text)                                                               \
  do {                                                                                            \
    std::string e = loadError();                                                                  \
    EXPECT_NE(e.find(text), std::string::npos) << "message: " << e;                              \
  } while (0)

TEST_F(KernelLoadTest, AWellFormedArtifactLoads) {
  write(manifest());
  tern_kernel *k = tern_kernel_load(dir.c_str());
  ASSERT_NE(k, nullptr) << tern_last_error();
  const tern_kernel_info *info = tern_kernel_get_info(k);
  EXPECT_EQ(info->n, 64);
  EXPECT_EQ(info->k, 128);
  EXPECT_EQ(info->lanes, 16);
  EXPECT_STREQ(info->layout, "mfree_i2");
  EXPECT_STREQ(info->target_features, "sse2");
  // Binding weights is for GPU kernels; a CPU kernel has nothing to do.
  uint8_t weights[2048] = {};
  EXPECT_EQ(tern_kernel_bind_weights(k, weights), TERN_OK);
  EXPECT_EQ(tern_kernel_bind_weights(k, nullptr), TERN_ERROR);
  EXPECT_EQ(tern_kernel_gpu_seconds(k), -1);
  tern_kernel_unload(k);
}

TEST_F(KernelLoadTest, MissingDirectory) {
  fs::remove_all(dir);
  EXPECT_ERROR_CONTAINS("manifest.json: No such file or directory (is ");
}

TEST_F(KernelLoadTest, NotJson) {
  write("{\"format\": ");
  EXPECT_ERROR_CONTAINS("manifest.json: not valid JSON: line 1, column 12");
}

TEST_F(KernelLoadTest, WrongFormat) {
  write(manifest("tern-model"));
  EXPECT_ERROR_CONTAINS("this is a 'tern-model' artifact, expected 'tern-kernel'");
}

TEST_F(KernelLoadTest, UnknownVersion) {
  write(manifest("tern-kernel", 2));
  EXPECT_ERROR_CONTAINS("artifact format version 2 is not supported by this runtime");
}

TEST_F(KernelLoadTest, OtherArchitecture) {
  write(manifest("tern-kernel", 1, "riscv64"));
  EXPECT_ERROR_CONTAINS("compiled for riscv64, but this machine is");
}

TEST_F(KernelLoadTest, FeatureTheRuntimeCannotCheck) {
  write(manifest("tern-kernel", 1, tern_host_arch(), "[\"sse2\", \"avx10.7\"]"));
  EXPECT_ERROR_CONTAINS("requires CPU features this runtime cannot check: avx10.7");
}

TEST_F(KernelLoadTest, MissingField) {
  write(manifest("tern-kernel", 1, tern_host_arch(), "[]", "tern_test_symbol", "\"64\""));
  EXPECT_ERROR_CONTAINS("'matmul.n' must be a positive integer");
}

TEST_F(KernelLoadTest, CorruptLibrary) {
  write(manifest());
  std::fstream f(dir / "kernel.so", std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(100);
  f.put('\x7f');
  f.close();
  EXPECT_ERROR_CONTAINS("the file is corrupt or does not belong to this artifact");
}

TEST_F(KernelLoadTest, TruncatedLibrary) {
  write(manifest());
  fs::resize_file(dir / "kernel.so", 100);
  EXPECT_ERROR_CONTAINS("checksum of");
}

TEST_F(KernelLoadTest, MissingEntryPoint) {
  write(manifest("tern-kernel", 1, tern_host_arch(), "[]", "tern_matmul"));
  EXPECT_ERROR_CONTAINS("has no entry point 'tern_matmul'");
}

TEST_F(KernelLoadTest, LibraryOutsideTheArtifact) {
  std::string text = manifest();
  text.replace(text.find("\"kernel.so\""), 11, "\"../kernel.so\"");
  write(text);
  EXPECT_ERROR_CONTAINS("'library' must be a file name inside the artifact directory");
}

/// An NVPTX kernel artifact: kernel.ptx and a manifest with its launch
/// geometry (`launch` empty: none).
void writeGpuArtifact(const fs::path &dir, const std::string &launch) {
  std::string ptx = ".version 8.0\n.target sm_80\n.address_size 64\n"
                    ".visible .entry tern_matmul() { ret; }\n";
  std::ofstream(dir / "kernel.ptx") << ptx;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(tern_checksum64(ptx.data(), ptx.size())));
  std::ofstream(dir / "manifest.json")
      << "{\"format\": \"tern-kernel\", \"format_version\": 1, \"entry\": \"tern_matmul\", "
         "\"library\": \"kernel.ptx\", \"library_checksum\": \""
      << hex
      << "\", \"matmul\": {\"n\": 64, \"k\": 128, \"m_hint\": 1, \"packing\": \"i2\", "
         "\"strategy\": \"simt\", \"layout\": \"mfree_i2\", \"packed_bytes\": 2048, \"slabs\": 1, "
         "\"kernel\": {\"lanes\": 8, \"tile_n\": 64, \"tile_m\": 1, \"unroll_k\": 2, "
         "\"prefetch\": 0, \"streams\": 4}"
      << launch
      << "}, \"target\": {\"arch\": \"nvptx64\", \"triple\": \"nvptx64-nvidia-cuda\", "
         "\"cpu\": \"sm_80\", \"features\": [\"ptx80\"]}}";
}

TEST_F(KernelLoadTest, GpuKernelWithoutAGpuSaysWhy) {
  if (tern_gpu_arch())
    GTEST_SKIP() << "skipped: this machine has a GPU (" << tern_gpu_arch()
                 << "), where GPU kernels load";
  std::string why = tern_last_error();
  EXPECT_FALSE(why.empty());
  EXPECT_EQ(tern_gpu_bandwidth(), -1);
  EXPECT_EQ(tern_last_error(), why);
  writeGpuArtifact(dir, ", \"launch\": {\"threads_per_block\": 256, \"blocks_x\": 1, "
                        "\"rows_per_block_y\": 1}");
  // The same reason as tern_gpu_arch's: no driver, a driver that does not
  // start, or no GPU; after the manifest's name.
  EXPECT_ERROR_CONTAINS("manifest.json: this kernel runs on an NVIDIA GPU: " + why);
}

TEST_F(KernelLoadTest, GpuKernelWithoutLaunchGeometry) {
  writeGpuArtifact(dir, "");
  EXPECT_ERROR_CONTAINS("matmul");
  EXPECT_ERROR_CONTAINS("launch");
}

#if defined(__x86_64__)
TEST_F(KernelLoadTest, FeatureThisMachineLacks) {
  // Pick a feature the runtime knows but this CPU lacks, if there is one.
  const char *candidates[] = {"avx512vnni", "avxvnni", "avx512bf16", "avx512vbmi2", "avx512f",
                              "avx2"};
  const char *missing = nullptr;
  for (const char *c : candidates)
    if (tern_cpu_has_feature(c) == 0)
      missing = c;
  if (!missing)
    GTEST_SKIP() << "skipped: this CPU has every candidate feature";
  write(manifest("tern-kernel", 1, "x86_64", std::string("[\"") + missing + "\"]"));
  EXPECT_ERROR_CONTAINS(std::string("requires CPU features this machine (") );
  EXPECT_ERROR_CONTAINS(std::string("lacks: ") + missing);
}
#endif

TEST(KernelCallTest, RejectsBadArguments) {
  EXPECT_EQ(tern_kernel_matmul(nullptr, nullptr, nullptr, nullptr, nullptr, 1.0f, nullptr, 1),
            TERN_ERROR);
  EXPECT_NE(std::string(tern_last_error()).find("kernel and runtime are required"),
            std::string::npos);
  EXPECT_EQ(tern_kernel_load(nullptr), nullptr);
  EXPECT_NE(std::string(tern_last_error()).find("no directory given"), std::string::npos);
}

} // namespace
