//===- CheckpointWriters.cpp ----------------------------------------------===//
#include "tools/tern-synth/CheckpointWriters.h"

#include "llvm/Support/JSON.h"

namespace tern::synth {

static uint64_t elementBytes(const std::string &dtype) {
  if (dtype == "U8" || dtype == "I8")
    return 1;
  if (dtype == "BF16" || dtype == "F16")
    return 2;
  return 4; // F32
}

void SafetensorsWriter::declare(const std::string &name, const std::string &dtype,
                                std::vector<int64_t> shape) {
  uint64_t count = 1;
  for (int64_t d : shape)
    count *= static_cast<uint64_t>(d);
  entries_.push_back({name, dtype, std::move(shape), count * elementBytes(dtype)});
}

llvm::Error SafetensorsWriter::open(const std::string &path) {
  path_ = path;
  std::error_code ec;
  os_ = std::make_unique<llvm::raw_fd_ostream>(path, ec);
  if (ec)
    return llvm::createStringError("cannot write " + path + ": " + ec.message());
  std::string header;
  llvm::raw_string_ostream hs(header);
  llvm::json::OStream json(hs);
  uint64_t offset = 0;
  json.object([&] {
    json.attributeObject("__metadata__", [&] { json.attribute("format", "pt"); });
    for (const Entry &e : entries_) {
      json.attributeObject(e.name, [&] {
        json.attribute("dtype", e.dtype);
        json.attributeArray("shape", [&] {
          for (int64_t d : e.shape)
            json.value(d);
        });
        json.attributeArray("data_offsets", [&] {
          json.value(static_cast<int64_t>(offset));
          json.value(static_cast<int64_t>(offset + e.bytes));
        });
      });
      offset += e.bytes;
    }
  });
  // The format allows trailing spaces; they align the data to 8 bytes.
  while (header.size() % 8 != 0)
    header.push_back(' ');
  uint64_t size = header.size();
  for (int i = 0; i < 8; ++i)
    os_->write(static_cast<char>((size >> (8 * i)) & 0xff));
  *os_ << header;
  return llvm::Error::success();
}

llvm::Error SafetensorsWriter::write(const std::string &name, const void *data, uint64_t bytes) {
  if (next_ >= entries_.size() || entries_[next_].name != name || entries_[next_].bytes != bytes)
    return llvm::createStringError("internal error: tensor " + name +
                                   " written out of order or with the wrong size");
  os_->write(static_cast<const char *>(data), bytes);
  ++next_;
  return llvm::Error::success();
}

llvm::Error SafetensorsWriter::close() {
  if (next_ != entries_.size())
    return llvm::createStringError("internal error: not every declared tensor was written");
  os_->close();
  if (os_->has_error())
    return llvm::createStringError("cannot write " + path_ + ": " + os_->error().message());
  return llvm::Error::success();
}

namespace {
enum ValueType : uint32_t { UInt32 = 4, Int32 = 5, Float32 = 6, String = 8, Array = 9 };

void putBytes(std::string &out, const void *p, size_t n) {
  out.append(static_cast<const char *>(p), n);
}
template <typename T> void put(std::string &out, T value) { putBytes(out, &value, sizeof(T)); }
void putString(std::string &out, const std::string &s) {
  put<uint64_t>(out, s.size());
  out += s;
}
} // namespace

void GgufWriter::addString(const std::string &key, const std::string &value) {
  putString(metadata_, key);
  put<uint32_t>(metadata_, String);
  putString(metadata_, value);
  ++kvCount_;
}

void GgufWriter::addUInt32(const std::string &key, uint32_t value) {
  putString(metadata_, key);
  put<uint32_t>(metadata_, UInt32);
  put<uint32_t>(metadata_, value);
  ++kvCount_;
}

void GgufWriter::addFloat32(const std::string &key, float value) {
  putString(metadata_, key);
  put<uint32_t>(metadata_, Float32);
  put<float>(metadata_, value);
  ++kvCount_;
}

void GgufWriter::addStringArray(const std::string &key, const std::vector<std::string> &values) {
  putString(metadata_, key);
  put<uint32_t>(metadata_, Array);
  put<uint32_t>(metadata_, String);
  put<uint64_t>(metadata_, values.size());
  for (const std::string &v : values)
    putString(metadata_, v);
  ++kvCount_;
}

void GgufWriter::addInt32Array(const std::string &key, const std::vector<int32_t> &values) {
  putString(metadata_, key);
  put<uint32_t>(metadata_, Array);
  put<uint32_t>(metadata_, Int32);
  put<uint64_t>(metadata_, values.size());
  putBytes(metadata_, values.data(), values.size() * sizeof(int32_t));
  ++kvCount_;
}

void GgufWriter::declareTensor(const std::string &name, std::vector<uint64_t> dims, TensorType type,
                               uint64_t bytes) {
  uint64_t offset = 0;
  if (!tensors_.empty()) {
    const Tensor &last = tensors_.back();
    offset = (last.offset + last.bytes + kAlignment - 1) / kAlignment * kAlignment;
  }
  tensors_.push_back({name, std::move(dims), type, bytes, offset});
}

llvm::Error GgufWriter::open(const std::string &path) {
  path_ = path;
  std::error_code ec;
  os_ = std::make_unique<llvm::raw_fd_ostream>(path, ec);
  if (ec)
    return llvm::createStringError("cannot write " + path + ": " + ec.message());
  std::string header;
  putBytes(header, "GGUF", 4);
  put<uint32_t>(header, 3);
  put<uint64_t>(header, tensors_.size());
  put<uint64_t>(header, kvCount_);
  header += metadata_;
  for (const Tensor &t : tensors_) {
    putString(header, t.name);
    put<uint32_t>(header, static_cast<uint32_t>(t.dims.size()));
    for (uint64_t d : t.dims)
      put<uint64_t>(header, d);
    put<uint32_t>(header, static_cast<uint32_t>(t.type));
    put<uint64_t>(header, t.offset);
  }
  header.resize((header.size() + kAlignment - 1) / kAlignment * kAlignment, '\0');
  *os_ << header;
  return llvm::Error::success();
}

llvm::Error GgufWriter::write(const std::string &name, const void *data, uint64_t bytes) {
  if (next_ >= tensors_.size() || tensors_[next_].name != name || tensors_[next_].bytes != bytes)
    return llvm::createStringError("internal error: tensor " + name +
                                   " written out of order or with the wrong size");
  const Tensor &t = tensors_[next_++];
  for (; written_ < t.offset; ++written_)
    os_->write('\0');
  os_->write(static_cast<const char *>(data), bytes);
  written_ += bytes;
  return llvm::Error::success();
}

llvm::Error GgufWriter::close() {
  if (next_ != tensors_.size())
    return llvm::createStringError("internal error: not every declared tensor was written");
  for (; written_ % kAlignment != 0; ++written_)
    os_->write('\0');
  os_->close();
  if (os_->has_error())
    return llvm::createStringError("cannot write " + path_ + ": " + os_->error().message());
  return llvm::Error::success();
}

} // namespace tern::synth
