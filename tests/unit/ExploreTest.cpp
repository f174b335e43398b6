//===- ExploreTest.cpp - machine descriptions and tern-explore's model ----===//
#include "targets/MachineDescription.h"
#include "tools/tern-explore/ModelWork.h"
#include "tools/tern-explore/Roofline.h"
#include "tools/tern-synth/SyntheticCheckpoint.h"
#include "tools/tern-synth/SyntheticModel.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace tern;
using namespace tern::explore;

namespace {

const char *kValid = R"(
name: test-cpu
summary: a test machine
kind: cpu
isa: x86_64
cores: 4
frequency_ghz: 3.0
vector: { width_bits: 256, registers: 16 }
int8_dot: { macs_per_cycle: 64, latency_cycles: 5 }
lookup: { table_entries: 16, bytes_per_cycle: 64, latency_cycles: 1 }
int_ops_per_cycle: 128
fp32_flops_per_cycle: 32
caches:
  - { level: 1, size_kib: 32, bandwidth_gbs: 200 }
  - { level: 2, size_kib: 512, bandwidth_gbs: 100 }
  - { level: 3, size_kib: 16384, bandwidth_gbs: 50, shared: true }
dram: { bandwidth_gbs: 40, core_bandwidth_gbs: 20, latency_ns: 90, stream_efficiency: 0.5 }
launch_overhead_us: 1
overlap: 0.5
energy_pj: { int8_mac: 0.1, lookup_byte: 0.05, int_op: 0.02, fp32_flop: 1, cache_byte: 0.5, dram_byte: 20 }
)";

MachineDescription valid() {
  auto m = parseMachineDescription(kValid, "test.yaml");
  if (!m) {
    ADD_FAILURE() << llvm::toString(m.takeError());
    return MachineDescription();
  }
  return *m;
}

std::string parseError(const std::string &yaml) {
  auto m = parseMachineDescription(yaml, "bad.yaml");
  if (m)
    return "";
  return llvm::toString(m.takeError());
}

std::string replaced(std::string text, const std::string &from, const std::string &to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(MachineDescriptionTest, ParsesEveryFigure) {
  MachineDescription m = valid();
  EXPECT_EQ(m.name, "test-cpu");
  EXPECT_EQ(m.cores, 4);
  EXPECT_EQ(m.caches.size(), 3u);
  EXPECT_TRUE(m.caches[2].shared);
  EXPECT_FALSE(m.ternary.has_value());
  // Kernels sustain half of what a read loop gets.
  EXPECT_DOUBLE_EQ(m.dramBandwidthGBs(1), 10);
  EXPECT_DOUBLE_EQ(m.dramBandwidthGBs(4), 20);
  EXPECT_EQ(m.cacheHolding(100 * 1024, 1)->level, 2);
  EXPECT_EQ(m.cacheHolding(100 * 1024, 4)->level, 1); // four private L1s
  EXPECT_EQ(m.cacheHolding(1e9, 4), nullptr);
}

TEST(MachineDescriptionTest, SyntaxErrorsNameFileLineAndKey) {
  std::string unknown = parseError(replaced(kValid, "overlap: 0.5", "overlap: 0.5\nbogus: 1"));
  EXPECT_NE(unknown.find("bad.yaml:20:1: unknown key 'bogus'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("unknown key 'bogus'"), std::string::npos) << unknown;
  std::string missing = parseError(replaced(kValid, "int_ops_per_cycle: 128\n", ""));
  EXPECT_NE(missing.find("missing required key 'int_ops_per_cycle'"), std::string::npos) << missing;
  EXPECT_NE(parseError("").find("bad.yaml: empty, or not a YAML mapping"), std::string::npos);
  std::string type = parseError(replaced(kValid, "cores: 4", "cores: four"));
  EXPECT_NE(type.find("bad.yaml:6:8: invalid number"), std::string::npos) << type;
}

TEST(MachineDescriptionTest, InconsistentFiguresAreErrors) {
  EXPECT_NE(parseError(replaced(kValid, "cores: 4", "cores: 0")).find("cores: must be positive"),
            std::string::npos);
  EXPECT_NE(parseError(replaced(kValid, "size_kib: 512", "size_kib: 16"))
                .find("caches.1.size_kib: not larger than level 1"),
            std::string::npos);
  EXPECT_NE(parseError(replaced(kValid, "core_bandwidth_gbs: 20", "core_bandwidth_gbs: 80"))
                .find("one core cannot read faster than the chip"),
            std::string::npos);
  EXPECT_NE(parseError(replaced(kValid, "isa: x86_64", "isa: nvptx")).find("does not match isa"),
            std::string::npos);
  EXPECT_NE(parseError(replaced(kValid, "overlap: 0.5", "overlap: 1.5")).find("overlap: must lie in [0, 1]"),
            std::string::npos);
  EXPECT_NE(parseError(replaced(kValid, "table_entries: 16", "table_entries: 24")).find("power of two"),
            std::string::npos);
  EXPECT_NE(parseError(replaced(kValid, "stream_efficiency: 0.5", "stream_efficiency: 2"))
                .find("dram.stream_efficiency: a fraction, at most 1"),
            std::string::npos);
  EXPECT_NE(parseError(replaced(kValid, "name: test-cpu", "name: Test CPU")).find("name:"),
            std::string::npos);
}

TEST(MachineDescriptionTest, FiguresCanBeSetByPath) {
  MachineDescription m = valid();
  ASSERT_FALSE(static_cast<bool>(m.set("dram.bandwidth_gbs", 80)));
  EXPECT_DOUBLE_EQ(*m.get("dram.bandwidth_gbs"), 80);
  ASSERT_FALSE(static_cast<bool>(m.set("caches.2.size_kib", 65536)));
  EXPECT_DOUBLE_EQ(m.caches[2].sizeKiB, 65536);
  // Lanes scale the width and every vector rate.
  ASSERT_FALSE(static_cast<bool>(m.set("vector.lanes", 16)));
  EXPECT_EQ(m.vector.widthBits, 512);
  EXPECT_DOUBLE_EQ(m.int8Dot.macsPerCycle, 128);
  EXPECT_DOUBLE_EQ(m.lookup.bytesPerCycle, 128);
  EXPECT_DOUBLE_EQ(m.intOpsPerCycle, 256);
  EXPECT_DOUBLE_EQ(m.fp32FlopsPerCycle, 64);
  EXPECT_DOUBLE_EQ(*m.get("vector.lanes"), 16);
  llvm::Error unknown = m.set("dram.speed", 1);
  EXPECT_NE(llvm::toString(std::move(unknown)).find("'dram.speed' is not a figure"), std::string::npos);
  llvm::Error invalid = m.set("dram.core_bandwidth_gbs", 100);
  EXPECT_NE(llvm::toString(std::move(invalid)).find("cannot read faster"), std::string::npos);
}

TEST(MachineDescriptionTest, ShippedDescriptionsLoad) {
  int count = 0;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(TERN_DESCRIPTIONS_DIR, ec), end; it != end && !ec;
       it.increment(ec)) {
    if (llvm::sys::path::extension(it->path()) != ".yaml")
      continue;
    auto m = loadMachineDescription(it->path());
    ASSERT_TRUE(static_cast<bool>(m)) << llvm::toString(m.takeError());
    EXPECT_EQ(m->name, llvm::sys::path::stem(it->path()).str());
    ++count;
  }
  EXPECT_GE(count, 6); // host-vm, four public machines, one with a ternary unit
  auto byName = loadMachineDescription(findMachineDescription("host-vm"));
  EXPECT_TRUE(static_cast<bool>(byName)) << llvm::toString(byName.takeError());
}

TEST(RooflineTest, LutGroupGrowsWithTheTableUnit) {
  EXPECT_EQ(lutGroup(16), 3);  // 14 sign-folded sums
  EXPECT_EQ(lutGroup(32), 3);
  EXPECT_EQ(lutGroup(64), 4);  // 41
  EXPECT_EQ(lutGroup(128), 5); // 122
  EXPECT_EQ(lutGroup(256), 5); // 365 do not fit
}

TEST(RooflineTest, KernelsFollowTheMachine) {
  MachineDescription m = valid();
  auto names = [](const std::vector<MatmulKernel> &kernels) {
    std::vector<std::string> n;
    for (const MatmulKernel &k : kernels)
      n.push_back(k.name);
    return n;
  };
  EXPECT_EQ(names(matmulKernels(m, 64, 64, 1)),
            (std::vector<std::string>{"mfree/i2", "mfree/base3", "lut/g2", "lut/g3"}));
  m.ternary = MachineDescription::Ternary{1024, 4, 0.01};
  std::vector<MatmulKernel> kernels = matmulKernels(m, 64, 64, 1);
  EXPECT_EQ(kernels.back().name, "tdot/base3");
  EXPECT_DOUBLE_EQ(kernels.back().bitsPerWeight, 1.6);
  EXPECT_DOUBLE_EQ(kernels.back().ternaryWeights, 64 * 64);
  // GPUs run Tern's simt kernels.
  auto gpu = loadMachineDescription(findMachineDescription("nvidia-h100"));
  ASSERT_TRUE(static_cast<bool>(gpu)) << llvm::toString(gpu.takeError());
  EXPECT_EQ(names(matmulKernels(*gpu, 64, 64, 1)), std::vector<std::string>{"simt/i2"});
}

TEST(ModelWorkTest, TinyModelOps) {
  auto model = openModelSource("tiny");
  ASSERT_TRUE(static_cast<bool>(model)) << llvm::toString(model.takeError());
  const ModelConfig &c = model->config;
  auto work = modelWork(*model, 1, 10);
  ASSERT_TRUE(static_cast<bool>(work)) << llvm::toString(work.takeError());
  int64_t linearCalls = 0, weights = 0, attention = 0, heads = 0;
  for (const OpWork &w : *work) {
    if (w.op == "bitlinear") {
      linearCalls += w.calls;
      weights += w.calls * w.n * w.k;
      EXPECT_EQ(w.rows, 1);
    }
    if (w.op == "attention") {
      attention += w.calls;
      // K and V of 11 positions in f32.
      EXPECT_DOUBLE_EQ(w.streamBytes, 2.0 * 11 * c.kvDim() * 4);
    }
    if (w.op == "lm_head") {
      heads += w.calls;
      EXPECT_DOUBLE_EQ(w.streamBytes, static_cast<double>(c.vocab * c.hidden * 2)); // bf16
    }
  }
  EXPECT_EQ(linearCalls, 7 * c.layers);
  EXPECT_EQ(weights, c.layers * (2 * c.hidden * c.hidden + 2 * c.kvDim() * c.hidden +
                                 3 * c.hidden * c.intermediate));
  EXPECT_EQ(attention, c.layers);
  EXPECT_EQ(heads, 1);
  auto prefill = modelWork(*model, 16, 0);
  ASSERT_TRUE(static_cast<bool>(prefill));
  for (const OpWork &w : *prefill)
    if (w.op == "bitlinear")
      EXPECT_EQ(w.rows, 16);
  auto tooLong = modelWork(*model, 8, c.context - 4);
  ASSERT_FALSE(static_cast<bool>(tooLong));
  EXPECT_NE(llvm::toString(tooLong.takeError()).find("do not fit the context"), std::string::npos);
}

TEST(ModelWorkTest, ReadsCheckpointsAndArtifacts) {
  llvm::SmallString<128> dir;
  llvm::sys::path::system_temp_directory(true, dir);
  llvm::sys::path::append(dir, "tern-explore-test-" + std::to_string(::getpid()));
  llvm::sys::fs::remove_directories(dir);
  synth::ModelShape shape;
  ASSERT_TRUE(synth::presetShape("tiny", shape));
  shape.layers = 1;
  std::string checkpoint = (dir + "/ckpt").str();
  llvm::Error written = synth::writeHuggingFace(synth::SyntheticModel(shape, 1), true, checkpoint, "", {});
  ASSERT_FALSE(static_cast<bool>(written)) << llvm::toString(std::move(written));
  auto fromCheckpoint = openModelSource(checkpoint);
  ASSERT_TRUE(static_cast<bool>(fromCheckpoint)) << llvm::toString(fromCheckpoint.takeError());
  EXPECT_EQ(fromCheckpoint->config.layers, 1);
  EXPECT_EQ(fromCheckpoint->config.hidden, shape.hidden);
  EXPECT_EQ(fromCheckpoint->embedding, DType::BF16);

  // An artifact: its manifest's model, and the embedding's layout.
  std::string artifact = (dir + "/model.tern").str();
  ASSERT_FALSE(static_cast<bool>(llvm::sys::fs::create_directories(artifact)));
  auto writeManifest = [&](const std::string &text) {
    std::error_code ec;
    llvm::raw_fd_ostream(artifact + "/manifest.json", ec) << text;
  };
  writeManifest(R"({"model": {"hidden": 128, "intermediate": 256, "layers": 2, "heads": 2,
                   "kv_heads": 1, "vocab": 1000, "context": 64},
                   "tensors": [{"name": "embed_tokens", "layout": "f16"}]})");
  auto fromArtifact = openModelSource(artifact);
  ASSERT_TRUE(static_cast<bool>(fromArtifact)) << llvm::toString(fromArtifact.takeError());
  EXPECT_EQ(fromArtifact->config.vocab, 1000);
  EXPECT_EQ(fromArtifact->embedding, DType::F16);
  writeManifest(R"({"model": {"hidden": 128}})");
  auto broken = openModelSource(artifact);
  ASSERT_FALSE(static_cast<bool>(broken));
  EXPECT_NE(llvm::toString(broken.takeError()).find("model.intermediate is missing"), std::string::npos);
  llvm::sys::fs::remove_directories(dir);
}

TEST(ModelWorkTest, UnknownModelIsAnError) {
  auto model = openModelSource("/no/such/model");
  ASSERT_FALSE(static_cast<bool>(model));
  EXPECT_NE(llvm::toString(model.takeError()).find("neither a checkpoint"), std::string::npos);
}

TEST(RooflineTest, DecodeIsBoundByMemoryAndScalesWithIt) {
  auto model = openModelSource("2b4t");
  ASSERT_TRUE(static_cast<bool>(model));
  auto work = modelWork(*model, 1, 100);
  ASSERT_TRUE(static_cast<bool>(work));
  MachineDescription m = valid();
  StepPrediction slow = predictStep(m, *work, m.cores);
  EXPECT_EQ(slow.residency, "DRAM");
  for (const auto &[w, p] : slow.ops)
    if (w.op == "lm_head")
      EXPECT_EQ(p.bound, "dram");
  // Ternary weights plus the bf16 head, read once per token.
  EXPECT_GT(slow.dramBytes, 0.4e9 + 0.65e9);
  EXPECT_LT(slow.dramBytes, 0.53e9 + 0.67e9);
  ASSERT_FALSE(static_cast<bool>(m.set("dram.bandwidth_gbs", 80)));
  ASSERT_FALSE(static_cast<bool>(m.set("dram.core_bandwidth_gbs", 40)));
  StepPrediction fast = predictStep(m, *work, m.cores);
  EXPECT_LT(fast.seconds, 0.75 * slow.seconds);
  // A ternary unit takes over every matmul and saves energy.
  m.ternary = MachineDescription::Ternary{4096, 4, 0.005};
  StepPrediction ternary = predictStep(m, *work, m.cores);
  for (const auto &[w, p] : ternary.ops)
    if (w.op == "bitlinear")
      EXPECT_EQ(p.kernel.rfind("tdot/", 0), 0u) << p.kernel;
  EXPECT_LE(ternary.seconds, fast.seconds);
  EXPECT_LT(ternary.joules, fast.joules);
}

TEST(RooflineTest, SmallWeightsLiveInCache) {
  auto model = openModelSource("tiny");
  ASSERT_TRUE(static_cast<bool>(model));
  auto work = modelWork(*model, 1, 10);
  ASSERT_TRUE(static_cast<bool>(work));
  MachineDescription m = valid();
  // The tiny model's bf16 head alone is 66 MB: DRAM, until L3 holds it.
  EXPECT_EQ(predictStep(m, *work, 4).residency, "DRAM");
  ASSERT_FALSE(static_cast<bool>(m.set("caches.2.size_kib", 256 * 1024)));
  StepPrediction cached = predictStep(m, *work, 4);
  EXPECT_EQ(cached.residency, "L3");
  EXPECT_DOUBLE_EQ(cached.dramBytes, 0);
}

} // namespace
