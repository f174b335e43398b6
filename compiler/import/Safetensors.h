//===- Safetensors.h - a strict reader of .safetensors files ----*- C++ -*-===//
#ifndef TERN_COMPILER_IMPORT_SAFETENSORS_H
#define TERN_COMPILER_IMPORT_SAFETENSORS_H

#include "compiler/import/Checkpoint.h"

namespace tern {

/// A mapped .safetensors file whose header has been checked: every tensor has
/// a dtype Tern reads, a shape, and offsets that match its size, lie inside
/// the file and overlap no other tensor.
class SafetensorsFile {
public:
  static llvm::Expected<std::unique_ptr<SafetensorsFile>> open(const std::string &path);
  /// Parses bytes already in memory (also the entry point of the fuzzer).
  static llvm::Expected<std::unique_ptr<SafetensorsFile>>
  parse(std::unique_ptr<llvm::MemoryBuffer> buffer, const std::string &name);

  const TensorView *find(llvm::StringRef name) const;
  /// The tensor, or "FILE: missing tensor NAME".
  llvm::Expected<const TensorView *> get(llvm::StringRef name) const;
  const std::map<std::string, TensorView> &tensors() const { return tensors_; }

private:
  std::unique_ptr<llvm::MemoryBuffer> buffer_;
  std::string name_;
  std::map<std::string, TensorView> tensors_;
};

} // namespace tern

#endif // TERN_COMPILER_IMPORT_SAFETENSORS_H
