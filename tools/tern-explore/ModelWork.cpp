//===- ModelWork.cpp ------------------------------------------------------===//
#include "tools/tern-explore/ModelWork.h"

#include "compiler/import/ModelBuilder.h"
#include "compiler/pipeline/Registration.h"
#include "dialects/tern/TernDialect.h"
#include "tools/tern-synth/SyntheticModel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;

namespace tern::explore {
namespace {

llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// The model of an artifact's manifest.json.
llvm::Expected<ModelSource> fromArtifact(const std::string &dir) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, "manifest.json");
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return error("cannot read " + path + ": " + buffer.getError().message());
  auto json = llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return error(path + ": " + llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  const llvm::json::Object *model = root ? root->getObject("model") : nullptr;
  if (!model)
    return error(path + ": no \"model\" object; is this a Tern model artifact?");
  ModelSource source;
  source.name = llvm::sys::path::filename(dir).str();
  ModelConfig &c = source.config;
  std::pair<const char *, int64_t *> fields[] = {
      {"hidden", &c.hidden}, {"intermediate", &c.intermediate}, {"layers", &c.layers},
      {"heads", &c.heads},   {"kv_heads", &c.kvHeads},          {"vocab", &c.vocab},
      {"context", &c.context}};
  for (auto [name, value] : fields) {
    std::optional<int64_t> v = model->getInteger(name);
    if (!v)
      return error(path + ": model." + name + " is missing or not an integer");
    *value = *v;
  }
  if (const llvm::json::Array *tensors = root->getArray("tensors"))
    for (const llvm::json::Value &t : *tensors)
      if (const llvm::json::Object *o = t.getAsObject()) {
        std::optional<llvm::StringRef> name = o->getString("name");
        if (name == weight_names::kInt8Head)
          source.int8Head = true;
        if (name != weight_names::kEmbedding)
          continue;
        llvm::StringRef layout = o->getString("layout").value_or("");
        source.embedding = layout == "f16" ? DType::F16 : layout == "f32" ? DType::F32 : DType::BF16;
      }
  if (llvm::Error e = validateConfig(c, path.str().str()))
    return std::move(e);
  return source;
}

int64_t elementBytes(Type t) { return (t.getIntOrFloatBitWidth() + 7) / 8; }

/// Rows and columns of a rank-2 memref; dynamic rows count as `rows`.
std::pair<int64_t, int64_t> shapeOf(Value v, int64_t rows) {
  auto type = cast<MemRefType>(v.getType());
  int64_t r = type.isDynamicDim(0) ? rows : type.getDimSize(0);
  return {r, type.getDimSize(1)};
}

/// Trip count of a loop with constant bounds, else 1.
int64_t tripCount(scf::ForOp loop) {
  auto lb = loop.getLowerBound().getDefiningOp<arith::ConstantIndexOp>();
  auto ub = loop.getUpperBound().getDefiningOp<arith::ConstantIndexOp>();
  auto step = loop.getStep().getDefiningOp<arith::ConstantIndexOp>();
  if (!lb || !ub || !step || step.value() <= 0)
    return 1;
  return (ub.value() - lb.value() + step.value() - 1) / step.value();
}

class WorkCollector {
public:
  WorkCollector(int64_t rows, int64_t position) : rows(rows), position(position) {}

  void collect(Block &block, int64_t calls) {
    for (Operation &op : block) {
      if (auto loop = dyn_cast<scf::ForOp>(op)) {
        collect(*loop.getBody(), calls * tripCount(loop));
        continue;
      }
      if (std::optional<OpWork> w = workOf(op)) {
        w->calls = calls;
        work.push_back(*w);
      }
      for (Region &region : op.getRegions())
        for (Block &b : region)
          collect(b, calls);
    }
  }

  std::vector<OpWork> work;

private:
  /// An op over rows of f32 activations: `inputs` read, one written,
  /// `flops` per element.
  OpWork rowwise(const char *name, Value x, int inputs, double flops) {
    auto [r, width] = shapeOf(x, rows);
    OpWork w;
    w.op = name;
    w.detail = std::to_string(width);
    w.rows = r;
    w.activationBytes = 4.0 * static_cast<double>(r * width) * (inputs + 1);
    w.fp32Flops = flops * static_cast<double>(r * width);
    w.tasks = r;
    return w;
  }

  std::optional<OpWork> workOf(Operation &op) {
    if (auto bl = dyn_cast<BitLinearOp>(op)) {
      auto type = cast<TernaryType>(bl.getWeight().getType());
      OpWork w;
      w.op = "bitlinear";
      w.n = type.getRows();
      w.k = type.getCols();
      w.detail = std::to_string(w.n) + "x" + std::to_string(w.k);
      w.rows = shapeOf(bl.getX(), rows).first;
      w.activationBytes = static_cast<double>(w.rows) * static_cast<double>(w.k + 4 * w.n);
      return w;
    }
    if (auto norm = dyn_cast<RmsNormOp>(op))
      return rowwise("rms_norm", norm.getX(), 1, 4);
    if (auto q = dyn_cast<QuantizeOp>(op))
      return rowwise("quantize", q.getX(), 0, 4);
    if (auto rope = dyn_cast<RopeOp>(op))
      return rowwise("rope", rope.getX(), 0, 6);
    if (auto relu = dyn_cast<Relu2Op>(op))
      return rowwise("relu2", relu.getX(), 0, 2);
    if (auto mul = dyn_cast<MulOp>(op))
      return rowwise("mul", mul.getLhs(), 1, 1);
    if (auto add = dyn_cast<AddOp>(op))
      return rowwise("add", add.getLhs(), 1, 1);
    if (auto embed = dyn_cast<EmbedOp>(op)) {
      auto table = cast<MemRefType>(embed.getTable().getType());
      OpWork w = rowwise("embed", embed.getOut(), 0, 0);
      w.streamBytes = static_cast<double>(w.rows * table.getDimSize(1) * elementBytes(table.getElementType()));
      return w;
    }
    if (auto attention = dyn_cast<AttentionOp>(op)) {
      auto cache = cast<MemRefType>(attention.getKCache().getType());
      int64_t heads = attention.getNumHeads(), kvHeads = attention.getNumKvHeads(),
              headDim = attention.getHeadDim();
      OpWork w;
      w.op = "attention";
      w.rows = shapeOf(attention.getQ(), rows).first;
      // Row i attends over positions [0, position + i].
      double attended = static_cast<double>(w.rows) * static_cast<double>(position) +
                        static_cast<double>(w.rows * (w.rows + 1)) / 2;
      w.detail = "ctx " + std::to_string(position + w.rows);
      // K and V of the attended positions, once per KV head and row tile.
      w.streamBytes = 2.0 * static_cast<double>(position + w.rows) *
                      static_cast<double>(kvHeads * headDim * elementBytes(cache.getElementType()));
      // Scores, softmax and the weighted sum of V per query head.
      w.fp32Flops = attended * static_cast<double>(heads) * (4.0 * static_cast<double>(headDim) + 5);
      w.activationBytes = 4.0 * static_cast<double>(w.rows * heads * headDim) * 2;
      w.tasks = w.rows * kvHeads;
      return w;
    }
    if (auto head = dyn_cast<LmHeadOp>(op)) {
      auto table = cast<MemRefType>(head.getTable().getType());
      OpWork w;
      w.op = "lm_head";
      w.n = table.getDimSize(0);
      w.k = table.getDimSize(1);
      w.detail = std::to_string(w.n) + "x" + std::to_string(w.k) + " " +
                 (table.getElementType().isInteger(8)       ? "int8"
                  : elementBytes(table.getElementType()) == 2 ? "16-bit"
                                                              : "f32");
      // Logits are needed for the last row only when generating.
      w.rows = 1;
      // An int8 table adds its f32 scales.
      w.streamBytes = static_cast<double>(w.n * w.k * elementBytes(table.getElementType()) +
                                          (head.getRowScale() ? 4 * w.n : 0));
      w.fp32Flops = 2.0 * static_cast<double>(w.n * w.k);
      w.activationBytes = 4.0 * static_cast<double>(w.k + w.n);
      w.tasks = w.n; // rows of the table, split across threads
      return w;
    }
    return std::nullopt;
  }

  int64_t rows, position;
};

} // namespace

llvm::Expected<ModelSource> openModelSource(const std::string &path) {
  synth::ModelShape shape;
  if (!llvm::sys::fs::exists(path) && synth::presetShape(path, shape)) {
    ModelSource source;
    source.name = path;
    ModelConfig &c = source.config;
    c.hidden = shape.hidden;
    c.intermediate = shape.intermediate;
    c.layers = shape.layers;
    c.heads = shape.heads;
    c.kvHeads = shape.kvHeads;
    c.vocab = shape.vocab;
    c.context = shape.context;
    return source;
  }
  llvm::SmallString<256> manifest(path);
  llvm::sys::path::append(manifest, "manifest.json");
  if (llvm::sys::fs::exists(manifest))
    return fromArtifact(path);
  if (!llvm::sys::fs::exists(path))
    return error("'" + path + "' is neither a checkpoint, an artifact directory nor a preset "
                 "(2b4t, tiny)");
  auto checkpoint = openCheckpoint(path);
  if (!checkpoint)
    return checkpoint.takeError();
  auto embedding = (*checkpoint)->embedding();
  if (!embedding)
    return embedding.takeError();
  ModelSource source;
  source.name = llvm::sys::path::filename(llvm::StringRef(path).rtrim('/')).str();
  source.config = (*checkpoint)->config();
  source.embedding = embedding->dtype;
  return source;
}

llvm::Expected<std::vector<OpWork>> modelWork(const ModelSource &model, int64_t rows,
                                              int64_t position) {
  if (rows < 1)
    return error("a step needs at least one token, got " + std::to_string(rows));
  if (position < 0 || position + rows > model.config.context)
    return error("positions [" + std::to_string(position) + ", " + std::to_string(position + rows) +
                 ") do not fit the context of " + std::to_string(model.config.context));
  MLIRContext &ctx = ternContext();
  OwningOpRef<ModuleOp> module = buildModelModule(&ctx, model.config, model.embedding,
                                                  model.int8Head, model.config.context);
  auto func = module->lookupSymbol<func::FuncOp>(rows == 1 ? kDecodeSymbol : kPrefillSymbol);
  if (!func)
    return error("the model module has no entry point " +
                 (rows == 1 ? kDecodeSymbol : kPrefillSymbol));
  WorkCollector collector(rows, position);
  collector.collect(func.getBody().front(), 1);
  return collector.work;
}

} // namespace tern::explore
