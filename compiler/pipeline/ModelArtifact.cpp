//===- ModelArtifact.cpp --------------------------------------------------===//
#include "compiler/pipeline/ModelArtifact.h"
#include "compiler/import/Formats.h"
#include "compiler/import/ModelBuilder.h"
#include "compiler/lowering/Passes.h"
#include "compiler/packing/Layouts.h"
#include "compiler/pipeline/ArtifactWriter.h"
#include "compiler/pipeline/Diagnostics.h"
#include "compiler/pipeline/Pipeline.h"
#include "compiler/pipeline/WeightPlacement.h"
#include "dialects/tern/TernDialect.h"
#include "runtime/include/tern/runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/FileOutputBuffer.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

using namespace mlir;

namespace tern {
namespace {

struct ScratchNeeds {
  int64_t prefillPerRow = 0, prefillFixed = 0, decodeFixed = 0, decodePerRow = 0;
};

ScratchNeeds readScratchNeeds(ModuleOp module) {
  ScratchNeeds needs;
  for (auto func : module.getOps<func::FuncOp>()) {
    auto perRow = func->getAttrOfType<IntegerAttr>("tern.scratch_bytes_per_row");
    auto fixed = func->getAttrOfType<IntegerAttr>("tern.scratch_bytes_fixed");
    if (!perRow || !fixed)
      continue;
    if (func.getSymName() == kPrefillSymbol) {
      needs.prefillPerRow = perRow.getInt();
      needs.prefillFixed = fixed.getInt();
    } else if (func.getSymName() == kDecodeSymbol) {
      needs.decodePerRow = perRow.getInt();
      needs.decodeFixed = fixed.getInt();
    }
  }
  return needs;
}

std::vector<KernelUse> kernelUses(ModuleOp module) {
  std::vector<KernelUse> uses;
  std::set<std::string> seen;
  module.walk([&](MatmulOp op) {
    auto func = op->getParentOfType<func::FuncOp>();
    std::string kernel;
    llvm::raw_string_ostream os(kernel);
    Attribute(op.getKernel()).print(os);
    int64_t m = op.getA().getType().getDimSize(0);
    TernaryType w = op.getWeight().getType();
    std::string key = func.getSymName().str() + kernel + std::to_string(w.getRows()) + "x" +
                      std::to_string(w.getCols());
    auto reason = op->getAttrOfType<StringAttr>("tern.kernel_reason");
    if (seen.insert(key).second)
      uses.push_back({func.getSymName().str(), ShapedType::isDynamic(m) ? 0 : m, w.getRows(),
                      w.getCols(), kernel, stringifyPacking(w.getPacking().getValue()).str(),
                      reason ? reason.str() : std::string("given in the input IR")});
  });
  return uses;
}

/// Row `row` of `table` ([vocab, hidden], bf16/f16/f32) as int8 with one
/// scale: q = round_half_even(x * (127 / amax)), scale = amax / 127, amax the
/// row's largest magnitude (a zero row: all 0, scale 0).
llvm::Error quantizeTableRow(const TensorView &table, int64_t row, int8_t *q, float *scale) {
  int64_t hidden = table.shape.back(), elementBytes = table.bytes / table.elements();
  TensorView view = table;
  view.shape = {hidden};
  view.data = table.data + row * hidden * elementBytes;
  view.bytes = hidden * elementBytes;
  auto values = readFloats(view, hidden);
  if (!values)
    return values.takeError();
  float amax = 0.0f;
  for (float x : *values)
    amax = std::max(amax, std::fabs(x));
  float inverse = amax > 0.0f ? 127.0f / amax : 0.0f;
  for (int64_t i = 0; i < hidden; ++i)
    q[i] = static_cast<int8_t>(std::clamp(std::nearbyint((*values)[i] * inverse), -127.0f, 127.0f));
  *scale = amax / 127.0f;
  return llvm::Error::success();
}

/// Writes weights.bin in the placed layouts, decoding each linear layer of
/// the checkpoint once (and quantizing the table for an int8 head).
/// Returns its checksum.
llvm::Expected<std::string> writeWeights(const Checkpoint &checkpoint,
                                         const std::vector<WeightEntry> &entries,
                                         const std::string &path,
                                         const std::function<void(double)> &progress) {
  std::map<std::string, const WeightEntry *> byName;
  uint64_t size = 0;
  for (const WeightEntry &e : entries) {
    byName[e.name] = &e;
    size = std::max<uint64_t>(size, e.offset + (e.layers ? e.stride * e.layers : e.bytes));
  }
  auto buffer = llvm::FileOutputBuffer::create(path, size);
  if (!buffer)
    return llvm::createStringError("cannot create " + path + ": " +
                                   llvm::toString(buffer.takeError()));
  uint8_t *base = (*buffer)->getBufferStart();
  std::memset(base, 0, size);
  auto entry = [&](const std::string &name) -> llvm::Expected<const WeightEntry *> {
    auto it = byName.find(name);
    if (it == byName.end())
      return llvm::createStringError("internal error: weight " + name + " was not placed");
    return it->second;
  };
  auto storeFloats = [&](const WeightEntry &e, int64_t layer, const std::vector<float> &values) {
    std::memcpy(base + e.offset + layer * e.stride, values.data(), values.size() * 4);
  };

  const ModelConfig &c = checkpoint.config();
  int64_t steps = c.layers + 1;
  for (int64_t l = 0; l < c.layers; ++l) {
    for (const char *role : kLinearRoles) {
      auto weights = checkpoint.linear(l, role);
      if (!weights)
        return weights.takeError();
      std::string name = (weight_names::kLayerPrefix + role).str();
      auto w = entry(name);
      if (!w)
        return w.takeError();
      auto s = entry(name + weight_names::kScaleSuffix.str());
      if (!s)
        return s.takeError();
      // The matrix, and prefill's own copy where it has one.
      std::vector<const WeightEntry *> packed = {*w};
      if (auto copy = byName.find(name + weight_names::kPrefillSuffix.str()); copy != byName.end())
        packed.push_back(copy->second);
      for (const WeightEntry *e : packed)
        if (!packing::pack(e->packed, weights->values.data(), base + e->offset + l * e->stride))
          return llvm::createStringError("internal error: non-ternary values in " + e->name);
      storeFloats(**s, l, {weights->scale});
    }
    for (const char *role : kNormRoles) {
      auto values = checkpoint.norm(l, role);
      if (!values)
        return values.takeError();
      auto e = entry((weight_names::kLayerPrefix + role).str());
      if (!e)
        return e.takeError();
      storeFloats(**e, l, *values);
    }
    progress(static_cast<double>(l + 1) / steps);
  }
  auto norm = checkpoint.norm(-1, "");
  if (!norm)
    return norm.takeError();
  auto normEntry = entry(weight_names::kFinalNorm.str());
  if (!normEntry)
    return normEntry.takeError();
  storeFloats(**normEntry, 0, *norm);
  auto table = checkpoint.embedding();
  if (!table)
    return table.takeError();
  auto tableEntry = entry(weight_names::kEmbedding.str());
  if (!tableEntry)
    return tableEntry.takeError();
  if (static_cast<int64_t>(table->bytes) != (*tableEntry)->bytes)
    return llvm::createStringError("internal error: embedding size mismatch");
  std::memcpy(base + (*tableEntry)->offset, table->data, table->bytes);
  if (auto head = byName.find(weight_names::kInt8Head.str()); head != byName.end()) {
    auto scales = entry((weight_names::kInt8Head + weight_names::kScaleSuffix).str());
    if (!scales)
      return scales.takeError();
    auto *q = reinterpret_cast<int8_t *>(base + head->second->offset);
    auto *scale = reinterpret_cast<float *>(base + (*scales)->offset);
    for (int64_t v = 0; v < c.vocab; ++v)
      if (llvm::Error e = quantizeTableRow(*table, v, q + v * c.hidden, scale + v))
        return e;
  }
  progress(1.0);
  std::string checksum = checksumHex(llvm::StringRef(reinterpret_cast<const char *>(base), size));
  if (llvm::Error e = (*buffer)->commit())
    return std::move(e);
  return checksum;
}

/// Ids of the special tokens generation stops at, and of BOS, read from
/// tokenizer.json.
struct SpecialTokens {
  int64_t bos = -1;
  std::vector<int64_t> stop;
};

llvm::Expected<SpecialTokens> specialTokens(llvm::StringRef tokenizerJson, const ModelConfig &c) {
  auto json = llvm::json::parse(tokenizerJson);
  if (!json)
    return llvm::createStringError("tokenizer.json is not valid JSON: " +
                                   llvm::toString(json.takeError()));
  SpecialTokens tokens;
  tokens.bos = c.bosId;
  if (c.eosId >= 0)
    tokens.stop.push_back(c.eosId);
  const llvm::json::Object *root = json->getAsObject();
  const llvm::json::Array *added = root ? root->getArray("added_tokens") : nullptr;
  if (!added)
    return tokens;
  for (const llvm::json::Value &t : *added) {
    const llvm::json::Object *o = t.getAsObject();
    if (!o)
      continue;
    std::optional<llvm::StringRef> content = o->getString("content");
    std::optional<int64_t> id = o->getInteger("id");
    if (!content || !id)
      continue;
    if ((*content == "<|eot_id|>" || *content == "<|end_of_text|>" || *content == "<|eom_id|>") &&
        !llvm::is_contained(tokens.stop, *id))
      tokens.stop.push_back(*id);
    if (*content == "<|begin_of_text|>" && tokens.bos < 0)
      tokens.bos = *id;
  }
  return tokens;
}

/// Makes every matmul of the entry points a GPU kernel and a launch (the
/// model ops are already), and writes the kernels to DIR/model.ptx; returns
/// its checksum.
llvm::Expected<std::string> emitGpuKernels(ModuleOp module, const TargetDesc &target,
                                           const std::string &dir) {
  PassManager outline(module.getContext());
  outline.addPass(createTernOutlineGpuMatmuls());
  outline.addPass(createCanonicalizerPass());
  if (llvm::Error e = runPipeline(outline, module, "outlining the GPU kernels failed"))
    return std::move(e);
  OwningOpRef<ModuleOp> device = module.clone();
  PassManager lower(module.getContext());
  lower.addPass(createTernExtractGpuKernels());
  buildLowerToLLVMPipeline(lower);
  if (llvm::Error e = runPipeline(lower, *device, "lowering the GPU kernels failed"))
    return std::move(e);
  return emitPtxFile(*device, target, dir, "model");
}

} // namespace

llvm::Expected<ModelCompileResult> compileModel(MLIRContext *ctx, const Checkpoint &checkpoint,
                                                const TargetDesc &target,
                                                const ModelCompileOptions &options) {
  auto stage = [&](llvm::StringRef name) {
    if (options.progress)
      options.progress(name, -1.0);
  };
  bool gpu = lookupTargetBackend(target.arch)->gpuMapping() != nullptr;
  if (options.emulateGpuBlocks < 0 || options.emulateGpuBlocks % 32 != 0 ||
      options.emulateGpuBlocks > 1024)
    return llvm::createStringError(llvm::formatv(
        "--emulate-gpu-blocks must be a multiple of 32 threads up to 1024, got {0}",
        options.emulateGpuBlocks).str());
  if (gpu && options.emulateGpuBlocks)
    return llvm::createStringError("--emulate-gpu-blocks runs a GPU's blocks on a CPU target; "
                                   "on " + target.arch + " they run on the GPU");
  const ModelConfig &c = checkpoint.config();
  int64_t context = options.context ? options.context : c.context;
  if (context < 1 || context > c.context)
    return llvm::createStringError(llvm::formatv("--context {0} must be between 1 and the model's "
                                                 "context length {1}",
                                                 context, c.context).str());
  if (options.maxBatch < 1 || options.maxBatch > 8192)
    return llvm::createStringError("--max-batch must be between 1 and 8192");
  auto table = checkpoint.embedding();
  if (!table)
    return table.takeError();
  const std::string &dir = options.outputDir;
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return llvm::createStringError("cannot create directory " + dir + ": " + ec.message());

  stage("building tern IR");
  OwningOpRef<ModuleOp> module =
      buildModelModule(ctx, c, table->dtype, options.int8Head, context, options.prefillCopies);
  setModuleTarget(*module, target);
  {
    PassManager pm(ctx);
    // Emulated GPU blocks come with the GPU's matmul kernels, run in loops.
    buildPrepareModelPipeline(pm, options.tuningDb, options.threads,
                              options.emulateGpuBlocks ? "simt" : "");
    if (llvm::Error e = runPipeline(pm, *module, "preparing the model failed"))
      return std::move(e);
  }
  auto placement = placeWeights(*module, c.layers);
  if (!placement)
    return placement.takeError();
  std::vector<KernelUse> kernels = kernelUses(*module);
  if (options.keepIntermediates) {
    std::string text;
    llvm::raw_string_ostream os(text);
    (*module)->print(os);
    if (llvm::Error e = writeFile(joinPath(dir, "model.tern.mlir"), text))
      return std::move(e);
  }
  stage("lowering to LLVM");
  {
    PassManager pm(ctx);
    buildLowerModelPipeline(pm, options.emulateGpuBlocks, gpu);
    if (llvm::Error e = runPipeline(pm, *module, "lowering the model failed"))
      return std::move(e);
  }
  ScratchNeeds scratch = readScratchNeeds(*module);
  // On a GPU the entry points run on the host CPU and launch the kernels:
  // the kernels go to model.ptx, the entry points to model.so.
  TargetDesc hostTarget = target;
  std::string kernelsChecksum;
  if (gpu) {
    stage("generating PTX");
    auto kernels = emitGpuKernels(*module, target, dir);
    if (!kernels)
      return kernels.takeError();
    kernelsChecksum = *kernels;
    auto baseline = resolveTarget("x86_64", "x86-64");
    if (!baseline)
      return baseline.takeError();
    hostTarget = *baseline;
    setModuleTarget(*module, hostTarget);
  }
  {
    PassManager pm(ctx);
    if (gpu)
      pm.addPass(createTernExtractGpuKernels({/*host=*/true}));
    buildLowerToLLVMPipeline(pm);
    if (llvm::Error e = runPipeline(pm, *module, "lowering to the LLVM dialect failed"))
      return std::move(e);
  }
  auto libraryChecksum = emitSharedLibrary(*module, hostTarget, dir, "model",
                                           options.keepIntermediates, stage);
  if (!libraryChecksum)
    return libraryChecksum.takeError();

  stage("writing weights");
  auto weightsChecksum = writeWeights(checkpoint, *placement, joinPath(dir, "weights.bin"),
                                      [&](double f) {
                                        if (options.progress)
                                          options.progress("writing weights", f);
                                      });
  if (!weightsChecksum)
    return weightsChecksum.takeError();
  uint64_t weightsBytes = 0;
  for (const WeightEntry &e : *placement)
    weightsBytes = std::max<uint64_t>(weightsBytes,
                                      e.offset + (e.layers ? e.stride * e.layers : e.bytes));

  stage("writing tokenizer and manifest");
  auto tokenizer = checkpoint.tokenizerJson();
  if (!tokenizer)
    return tokenizer.takeError();
  if (llvm::Error e = writeFile(joinPath(dir, "tokenizer.json"), *tokenizer))
    return std::move(e);
  auto special = specialTokens(*tokenizer, c);
  if (!special)
    return special.takeError();

  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::json::OStream json(os, 2);
  json.object([&] {
    json.attribute("format", "tern-model");
    json.attribute("format_version", TERN_ARTIFACT_FORMAT_VERSION);
    json.attribute("tern_version", tern_version());
    json.attributeObject("source", [&] {
      json.attribute("checkpoint", checkpoint.source());
      json.attribute("format", checkpoint.formatName());
    });
    json.attributeObject("model", [&] {
      json.attribute("architecture", "bitnet-b1.58");
      json.attribute("hidden", c.hidden);
      json.attribute("intermediate", c.intermediate);
      json.attribute("layers", c.layers);
      json.attribute("heads", c.heads);
      json.attribute("kv_heads", c.kvHeads);
      json.attribute("head_dim", c.headDim());
      json.attribute("vocab", c.vocab);
      json.attribute("context", context);
      json.attribute("trained_context", c.context);
      json.attribute("rms_norm_eps", static_cast<double>(c.rmsNormEps));
      json.attribute("rope_theta", c.ropeTheta);
    });
    json.attributeObject("entry", [&] {
      json.attribute("prefill", kPrefillSymbol);
      json.attribute("decode", kDecodeSymbol);
    });
    json.attribute("library", "model.so");
    json.attribute("library_checksum", *libraryChecksum);
    json.attribute("weights", "weights.bin");
    json.attribute("weights_bytes", static_cast<int64_t>(weightsBytes));
    json.attribute("weights_checksum", *weightsChecksum);
    json.attribute("tokenizer", "tokenizer.json");
    json.attribute("tokenizer_checksum", checksumHex(*tokenizer));
    json.attribute("chat_template", checkpoint.chatTemplate());
    json.attributeObject("special_tokens", [&] {
      json.attribute("bos", special->bos);
      json.attributeArray("stop", [&] {
        for (int64_t id : special->stop)
          json.value(id);
      });
    });
    json.attributeObject("scratch", [&] {
      json.attribute("max_batch", options.maxBatch);
      json.attribute("prefill_bytes_per_row", scratch.prefillPerRow);
      json.attribute("prefill_bytes_fixed", scratch.prefillFixed);
      json.attribute("decode_bytes", scratch.decodeFixed + scratch.decodePerRow);
    });
    json.attributeObject("kv_cache", [&] {
      json.attribute("dtype", "f32");
      json.attribute("layers", c.layers);
      json.attribute("context", context);
      json.attribute("row_elements", c.kvDim());
    });
    json.attributeArray("tensors", [&] {
      for (const WeightEntry &e : *placement)
        json.object([&] {
          json.attribute("name", e.name);
          json.attribute("layout", layoutName(e));
          json.attributeArray("shape", [&] {
            json.value(e.rows);
            if (e.cols)
              json.value(e.cols);
          });
          json.attribute("layers", e.layers);
          json.attribute("offset", e.offset);
          json.attribute("stride", e.stride);
          json.attribute("bytes", e.bytes);
        });
    });
    json.attributeArray("kernels", [&] {
      for (const KernelUse &k : kernels)
        json.object([&] {
          json.attribute("function", k.function);
          json.attribute("m", k.m);
          json.attribute("n", k.n);
          json.attribute("k", k.k);
          json.attribute("packing", k.packing);
          json.attribute("kernel", k.kernel);
          json.attribute("reason", k.reason);
        });
    });
    writeTargetJson(json, hostTarget);
    if (gpu)
      json.attributeObject("gpu", [&] {
        json.attribute("arch", target.cpu);
        json.attribute("kernels", "model.ptx");
        json.attribute("kernels_checksum", kernelsChecksum);
      });
  });
  os << "\n";
  if (llvm::Error e = writeFile(joinPath(dir, "manifest.json"), text))
    return std::move(e);
  return ModelCompileResult{std::move(kernels), weightsBytes};
}

} // namespace tern
