//===- Gguf.h - a strict reader of GGUF files --------------------*- C++ -*-===//
#ifndef TERN_COMPILER_IMPORT_GGUF_H
#define TERN_COMPILER_IMPORT_GGUF_H

#include "compiler/import/Checkpoint.h"

#include <variant>

namespace tern {

/// A mapped GGUF file (version 2 or 3) whose every length, count and offset
/// has been checked against the file before use.
class GgufFile {
public:
  using Value = std::variant<uint64_t, int64_t, double, bool, std::string, std::vector<std::string>,
                             std::vector<int64_t>, std::vector<double>>;

  static llvm::Expected<std::unique_ptr<GgufFile>> open(const std::string &path);
  static llvm::Expected<std::unique_ptr<GgufFile>> parse(std::unique_ptr<llvm::MemoryBuffer> buffer,
                                                         const std::string &name);

  const Value *metadata(llvm::StringRef key) const;
  llvm::Expected<std::string> getString(llvm::StringRef key) const;
  llvm::Expected<int64_t> getInt(llvm::StringRef key) const;
  llvm::Expected<double> getFloat(llvm::StringRef key) const;
  llvm::Expected<const std::vector<std::string> *> getStrings(llvm::StringRef key) const;
  llvm::Expected<const std::vector<int64_t> *> getInts(llvm::StringRef key) const;

  /// A tensor; shapes are outermost first (GGUF stores them innermost first).
  llvm::Expected<const TensorView *> tensor(llvm::StringRef name) const;
  const std::string &name() const { return name_; }

private:
  std::unique_ptr<llvm::MemoryBuffer> buffer_;
  std::string name_;
  std::map<std::string, Value> metadata_;
  std::map<std::string, TensorView> tensors_;
};

} // namespace tern

#endif // TERN_COMPILER_IMPORT_GGUF_H
