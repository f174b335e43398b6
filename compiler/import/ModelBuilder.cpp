//===- ModelBuilder.cpp ---------------------------------------------------===//
#include "compiler/import/ModelBuilder.h"

#include "dialects/tern/TernDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace tern {

const char *const kLinearRoles[7] = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                     "gate_proj", "up_proj", "down_proj"};
const char *const kNormRoles[4] = {"input_layernorm", "attn_sub_norm", "post_attention_layernorm",
                                   "ffn_sub_norm"};

namespace {

class ModelFunctionBuilder {
public:
  ModelFunctionBuilder(OpBuilder &b, const ModelConfig &c, Type tableElement, bool int8Head,
                       int64_t context, bool decode, bool prefillCopies)
      : b(b), c(c), tableElement(tableElement), int8Head(int8Head), context(context), decode(decode),
        prefillCopies(prefillCopies), loc(b.getUnknownLoc()) {}

  void build(StringRef name) {
    Type ptr = LLVM::LLVMPointerType::get(b.getContext());
    Type i64 = b.getI64Type();
    auto type = b.getFunctionType({ptr, ptr, ptr, ptr, ptr, ptr, i64, i64, ptr, i64}, {});
    auto func = func::FuncOp::create(b, loc, name, type);
    func.setArgAttr(0, "tern.runtime_context", b.getUnitAttr());
    func.setArgAttr(1, "tern.weights", b.getUnitAttr());
    func.setArgAttr(4, "tern.scratch", b.getUnitAttr());
    Block *entry = func.addEntryBlock();
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(entry);
    args = entry->getArguments();
    rows = decode ? index(1) : castIndex(args[6]);
    Value position = castIndex(args[7]);

    Value tokens = BufferFromPtrOp::create(b, loc, rowsType({}, b.getI32Type()), args[5],
                                           dynamicRows());
    Value x = alloc(c.hidden);
    Value table = weight(weight_names::kEmbedding, MemRefType::get({c.vocab, c.hidden}, tableElement));
    EmbedOp::create(b, loc, table, tokens, x);

    auto layers = scf::ForOp::create(b, loc, index(0), index(c.layers), index(1));
    b.setInsertionPointToStart(layers.getBody());
    buildLayer(layers.getInductionVar(), x, position);
    b.setInsertionPointAfter(layers);

    Value h = alloc(c.hidden);
    rmsNorm(x, weight(weight_names::kFinalNorm, vectorType(c.hidden)), h);
    // Logits of rows [first, n) only: decoding needs the last one.
    Value first = decode ? index(0) : castIndex(args[9]);
    Value count = arith::SubIOp::create(b, loc, rows, first);
    Value selected = memref::SubViewOp::create(
        b, loc, h, ArrayRef<OpFoldResult>{first, b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{count, b.getIndexAttr(c.hidden)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
    Value logits = BufferFromPtrOp::create(
        b, loc, MemRefType::get({ShapedType::kDynamic, c.vocab}, b.getF32Type()), args[8],
        ValueRange{count});
    Value headTable = table, rowScale;
    if (int8Head) {
      headTable =
          weight(weight_names::kInt8Head, MemRefType::get({c.vocab, c.hidden}, b.getI8Type()));
      rowScale =
          weight((weight_names::kInt8Head + weight_names::kScaleSuffix).str(), vectorType(c.vocab));
    }
    LmHeadOp::create(b, loc, selected, headTable, logits, rowScale);
    func::ReturnOp::create(b, loc);
  }

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value castIndex(Value v) { return arith::IndexCastOp::create(b, loc, b.getIndexType(), v); }
  int64_t rowDim() const { return decode ? 1 : ShapedType::kDynamic; }
  ValueRange dynamicRows() { return decode ? ValueRange{} : ValueRange(rows); }
  MemRefType rowsType(ArrayRef<int64_t> cols, Type element) {
    SmallVector<int64_t> shape = {rowDim()};
    llvm::append_range(shape, cols);
    return MemRefType::get(shape, element);
  }
  MemRefType vectorType(int64_t n) { return MemRefType::get({n}, b.getF32Type()); }

  /// Activations live in scratch memory; tern-plan-buffers places them.
  Value alloc(int64_t cols, Type element = {}) {
    return memref::AllocOp::create(b, loc, rowsType({cols}, element ? element : b.getF32Type()),
                                   dynamicRows());
  }

  Value weight(StringRef name, Type type, Value layer = {}) {
    return WeightOp::create(b, loc, type, b.getStringAttr(name), layer, IntegerAttr(),
                            IntegerAttr());
  }

  Value layerWeight(StringRef role, Type type, Value layer) {
    return weight((weight_names::kLayerPrefix + role).str(), type, layer);
  }

  void rmsNorm(Value x, Value gamma, Value out) {
    RmsNormOp::create(b, loc, x, gamma, out, b.getF32FloatAttr(c.rmsNormEps));
  }

  void bitLinear(StringRef role, int64_t n, int64_t k, Value x, Value out, Value layer) {
    auto type = TernaryType::get(b.getContext(), {n, k}, PackingAttr::get(b.getContext(), Packing::i2));
    bool copy = prefillCopies && !decode;
    Value w = layerWeight(copy ? (role + weight_names::kPrefillSuffix).str() : role.str(), type, layer);
    Value scaleBuffer = layerWeight((role + weight_names::kScaleSuffix).str(), vectorType(1), layer);
    Value scale = memref::LoadOp::create(b, loc, scaleBuffer, ValueRange{index(0)});
    BitLinearOp::create(b, loc, x, w, scale, out, KernelAttr());
  }

  /// This layer's slice [kv_heads, context, head_dim] of a KV cache.
  Value cacheView(Value cache, Value layer) {
    int64_t layerBytes = context * c.kvDim() * 4;
    Value offset = arith::MulIOp::create(
        b, loc, arith::IndexCastOp::create(b, loc, b.getI64Type(), layer),
        arith::ConstantIntOp::create(b, loc, layerBytes, 64));
    Value p = LLVM::GEPOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext()), b.getI8Type(),
                                  cache, ValueRange{offset});
    return BufferFromPtrOp::create(
        b, loc, MemRefType::get({c.kvHeads, context, c.headDim()}, b.getF32Type()), p, ValueRange{});
  }

  void buildLayer(Value layer, Value x, Value position) {
    int64_t kv = c.kvDim();
    auto norm = [&](const char *role, int64_t n) { return layerWeight(role, vectorType(n), layer); };
    Value h = alloc(c.hidden);
    rmsNorm(x, norm("input_layernorm", c.hidden), h);
    Value q = alloc(c.hidden), k = alloc(kv), v = alloc(kv);
    bitLinear("q_proj", c.hidden, c.hidden, h, q, layer);
    bitLinear("k_proj", kv, c.hidden, h, k, layer);
    bitLinear("v_proj", kv, c.hidden, h, v, layer);
    auto headDim = b.getI64IntegerAttr(c.headDim());
    auto theta = b.getF32FloatAttr(static_cast<float>(c.ropeTheta));
    RopeOp::create(b, loc, q, position, q, headDim, theta);
    RopeOp::create(b, loc, k, position, k, headDim, theta);
    Value attention = alloc(c.hidden);
    AttentionOp::create(b, loc, q, k, v, cacheView(args[2], layer), cacheView(args[3], layer),
                        position, attention, b.getI64IntegerAttr(c.heads),
                        b.getI64IntegerAttr(c.kvHeads), headDim);
    rmsNorm(attention, norm("attn_sub_norm", c.hidden), attention);
    Value o = alloc(c.hidden);
    bitLinear("o_proj", c.hidden, c.hidden, attention, o, layer);
    AddOp::create(b, loc, x, o, x);

    rmsNorm(x, norm("post_attention_layernorm", c.hidden), h);
    Value gate = alloc(c.intermediate), up = alloc(c.intermediate);
    bitLinear("gate_proj", c.intermediate, c.hidden, h, gate, layer);
    bitLinear("up_proj", c.intermediate, c.hidden, h, up, layer);
    Relu2Op::create(b, loc, gate, gate);
    MulOp::create(b, loc, gate, up, gate);
    rmsNorm(gate, norm("ffn_sub_norm", c.intermediate), gate);
    bitLinear("down_proj", c.hidden, c.intermediate, gate, o, layer);
    AddOp::create(b, loc, x, o, x);
  }

  OpBuilder &b;
  const ModelConfig &c;
  Type tableElement;
  bool int8Head;
  int64_t context;
  bool decode;
  bool prefillCopies;
  Location loc;
  Block::BlockArgListType args;
  Value rows;
};

} // namespace

OwningOpRef<ModuleOp> buildModelModule(MLIRContext *ctx, const ModelConfig &config, DType embedding,
                                       bool int8Head, int64_t context, bool prefillCopies) {
  ctx->loadDialect<TernDialect, arith::ArithDialect, func::FuncDialect, LLVM::LLVMDialect,
                   memref::MemRefDialect, scf::SCFDialect>();
  OpBuilder b(ctx);
  OwningOpRef<ModuleOp> module = ModuleOp::create(b.getUnknownLoc());
  b.setInsertionPointToEnd(module->getBody());
  Type table = embedding == DType::F16 ? Type(b.getF16Type())
               : embedding == DType::F32 ? Type(b.getF32Type())
                                         : Type(b.getBF16Type());
  ModelFunctionBuilder(b, config, table, int8Head, context, /*decode=*/false, prefillCopies)
      .build(kPrefillSymbol);
  ModelFunctionBuilder(b, config, table, int8Head, context, /*decode=*/true, prefillCopies)
      .build(kDecodeSymbol);
  return module;
}

} // namespace tern
