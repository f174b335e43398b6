//===- Target.h - what Tern needs to know about a compilation target -*- C++ -*-===//
//
// Everything target-specific lives behind TargetBackend, one implementation
// per architecture under targets/<arch>/. The rest of the compiler asks it for
// vector widths, instruction lowerings and code generator settings.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TARGETS_TARGET_H
#define TERN_TARGETS_TARGET_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace llvm {
class Function;
} // namespace llvm

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace tern {

/// A resolved target: the code generator's view (triple, CPU, features) and
/// the runtime's (architecture and the features a machine must have).
struct TargetDesc {
  std::string arch;                  // "x86_64", "aarch64"
  std::string triple;                // "x86_64-unknown-linux-gnu"
  std::string cpu;                   // code generation CPU, e.g. "x86-64-v4"
  std::string tuneCpu;               // scheduling model, e.g. "znver5"
  std::vector<std::string> features; // enabled features, LLVM names, sorted
  /// A machine description (targets/descriptions) declares a ternary dot
  /// product: kernels use tern.tdot, lowered to its definition for this
  /// code generation target.
  bool ternaryDot = false;

  bool hasFeature(llvm::StringRef name) const;
  /// "+a,+b,..." for LLVM's TargetMachine.
  std::string featureString() const;
  /// True when this machine can execute code built for the target.
  bool runsOnHost() const;
  /// "x86_64 x86-64-v4 tuned for znver5", for messages.
  std::string describe() const;
};

/// How a GPU target runs the threads of a simt kernel: their ids and warp
/// shuffles, as ops of the target's dialect. CPU targets have none; simt
/// kernels then run their threads in loops, which is how their logic is
/// tested on machines without a GPU.
class GpuMapping {
public:
  virtual ~GpuMapping() = default;
  /// The thread's index within its block (x), as an index.
  virtual mlir::Value threadIndex(mlir::OpBuilder &b, mlir::Location loc) const = 0;
  /// The block's index within the grid along `dim` (0: x, 1: y), as an index.
  virtual mlir::Value blockIndex(mlir::OpBuilder &b, mlir::Location loc, int dim) const = 0;
  /// The i32 `value` of the thread whose warp lane is this one's xor `offset`.
  virtual mlir::Value shuffleXor(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value,
                                 int64_t offset) const = 0;
  /// One warp-wide int8 tensor-core step, m16n8k32 with A row-major and B
  /// column-major, s8 x s8 into wrapping s32 sums: this thread's fragments
  /// of A (4 words of 4 bytes), B (2) and the accumulators (4 i32), in PTX's
  /// fragment layout for that shape. Returns the new accumulators.
  virtual llvm::SmallVector<mlir::Value, 4> mmaInt8(mlir::OpBuilder &b, mlir::Location loc,
                                                    mlir::ValueRange a, mlir::ValueRange bFragment,
                                                    mlir::ValueRange c) const = 0;
  /// Waits until every thread of the block has arrived; their memory writes
  /// are then visible to each other.
  virtual void barrier(mlir::OpBuilder &b, mlir::Location loc) const = 0;
  /// The memref memory space of memory shared by a block's threads.
  virtual unsigned sharedMemorySpace() const = 0;
  /// Makes an LLVM function a kernel entry point that runs in blocks of
  /// exactly `threadsPerBlock` threads.
  virtual void markKernel(mlir::Operation *function, int64_t threadsPerBlock) const = 0;
};

class TargetBackend {
public:
  virtual ~TargetBackend() = default;
  virtual llvm::StringRef arch() const = 0;
  virtual llvm::StringRef defaultTriple() const = 0;
  /// Resolves `cpu` ("host", "" for the default, or an LLVM CPU name) and
  /// feature edits ("+f"/"-f") into a full description.
  virtual llvm::Expected<TargetDesc> resolve(llvm::StringRef cpu,
                                             llvm::ArrayRef<std::string> featureEdits) const = 0;
  /// The widest vector, in 32-bit lanes, that kernels should use.
  virtual int64_t vectorLanes(const TargetDesc &target) const = 0;
  /// Architectural vector registers: what a kernel's tiles can keep live.
  virtual int64_t vectorRegisters(const TargetDesc &target) const = 0;
  /// Patterns lowering tern.vdot and tern.lookup16 to the target's own
  /// instructions; what they do not match falls back to the generic lowering.
  virtual void populateVectorOpPatterns(const TargetDesc &target,
                                        mlir::RewritePatternSet &patterns) const = 0;
  /// The largest `lhs_max` for which a tern.vdot of `lanes` lanes becomes the
  /// target's own dot-product instructions (0: none at that width). Kernels
  /// pick their weight decoding from it.
  virtual int64_t nativeVdotLhsMax(const TargetDesc &target, int64_t lanes) const = 0;
  /// Whether int16-accumulating tern.vdot steps (widened to int32 now and
  /// then) beat int32 ones: where the int32 form takes two multiplies.
  virtual bool prefersInt16Vdot(const TargetDesc &target, int64_t lanes) const = 0;
  /// The inline-asm constraint letter of the vector registers kernels use,
  /// for empty asm statements that stop LLVM from recombining a value.
  virtual llvm::StringRef vectorRegisterConstraint(const TargetDesc &target) const = 0;
  /// LLVM's locality hint (0: non-temporal ... 3: keep in L1) for software
  /// prefetches of weights that a kernel streams once.
  virtual int weightPrefetchLocality(const TargetDesc &target) const { return 0; }
  /// Whether a kernel using several adjacent weight bytes at once should load
  /// them as words and shift them apart: where loads, not ALU ops, bound it.
  virtual bool prefersWordLoadsOfBytes(const TargetDesc &target) const { return false; }
  /// GPU targets: how simt kernels map onto threads (null: a CPU).
  virtual const GpuMapping *gpuMapping() const { return nullptr; }
  /// Settings the code generator needs on every function.
  virtual void configureFunction(const TargetDesc &target, llvm::Function &function) const {}
};

/// The backend for an architecture name ("x86_64", "aarch64"), or null.
const TargetBackend *lookupTargetBackend(llvm::StringRef arch);

/// Resolves the user's `--target NAME --cpu CPU --features LIST`. NAME is
/// "host", "x86_64" or "aarch64"; LIST is comma-separated "+f"/"-f" edits.
llvm::Expected<TargetDesc> resolveTarget(llvm::StringRef name, llvm::StringRef cpu = "",
                                         llvm::StringRef features = "");

/// Records the target on a module (`tern.target`, an #llvm.target attribute,
/// plus `tern.tune_cpu`) and reads it back.
void setModuleTarget(mlir::ModuleOp module, const TargetDesc &target);
llvm::Expected<TargetDesc> getModuleTarget(mlir::ModuleOp module);

/// Initializes LLVM's targets once.
void initializeLLVMTargets();

} // namespace tern

#endif // TERN_TARGETS_TARGET_H
