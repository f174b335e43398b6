//===- CheckpointWriters.h - safetensors and GGUF, written streaming -*- C++ -*-===//
#ifndef TERN_TOOLS_TERN_SYNTH_CHECKPOINTWRITERS_H
#define TERN_TOOLS_TERN_SYNTH_CHECKPOINTWRITERS_H

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tern::synth {

/// safetensors: u64 header length, a JSON header mapping each tensor to its
/// dtype, shape and [begin, end) byte offsets, then the data. Tensors are
/// declared first, then written in the same order.
class SafetensorsWriter {
public:
  void declare(const std::string &name, const std::string &dtype, std::vector<int64_t> shape);
  llvm::Error open(const std::string &path);
  llvm::Error write(const std::string &name, const void *data, uint64_t bytes);
  llvm::Error close();

private:
  struct Entry {
    std::string name, dtype;
    std::vector<int64_t> shape;
    uint64_t bytes;
  };
  std::vector<Entry> entries_;
  size_t next_ = 0;
  std::string path_;
  std::unique_ptr<llvm::raw_fd_ostream> os_;
};

/// GGUF version 3 with the metadata value and tensor types tern-synth needs.
class GgufWriter {
public:
  enum class TensorType : uint32_t { F32 = 0, F16 = 1, I2_S = 36 };

  void addString(const std::string &key, const std::string &value);
  void addUInt32(const std::string &key, uint32_t value);
  void addFloat32(const std::string &key, float value);
  void addStringArray(const std::string &key, const std::vector<std::string> &values);
  void addInt32Array(const std::string &key, const std::vector<int32_t> &values);
  /// `dims` innermost first, as GGUF stores them; `bytes` is the data size.
  void declareTensor(const std::string &name, std::vector<uint64_t> dims, TensorType type,
                     uint64_t bytes);
  llvm::Error open(const std::string &path);
  llvm::Error write(const std::string &name, const void *data, uint64_t bytes);
  llvm::Error close();

  static constexpr uint64_t kAlignment = 32;

private:
  struct Tensor {
    std::string name;
    std::vector<uint64_t> dims;
    TensorType type;
    uint64_t bytes, offset;
  };
  std::string metadata_; // serialized key/value pairs
  uint64_t kvCount_ = 0;
  std::vector<Tensor> tensors_;
  size_t next_ = 0;
  uint64_t written_ = 0;
  std::string path_;
  std::unique_ptr<llvm::raw_fd_ostream> os_;
};

} // namespace tern::synth

#endif // TERN_TOOLS_TERN_SYNTH_CHECKPOINTWRITERS_H
