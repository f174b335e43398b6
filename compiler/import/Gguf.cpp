//===- Gguf.cpp -----------------------------------------------------------===//
#include "compiler/import/Gguf.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>

namespace tern {
namespace {

enum ValueType : uint32_t {
  UInt8 = 0, Int8, UInt16, Int16, UInt32, Int32, Float32, Bool, String, Array, UInt64, Int64,
  Float64
};

// ggml tensor types Tern reads; I2_S is bitnet.cpp's.
enum GgmlType : uint32_t { GgmlF32 = 0, GgmlF16 = 1, GgmlBF16 = 30, GgmlI2S = 36 };

constexpr uint64_t kMaxCount = 1ull << 24;
constexpr uint64_t kMaxString = 1ull << 30;

/// Bounds-checked reading of a little-endian byte stream.
class Reader {
public:
  Reader(const uint8_t *data, uint64_t size, const std::string &name)
      : data_(data), size_(size), name_(name) {}

  llvm::Error fail(const llvm::Twine &what) const {
    return llvm::createStringError(llvm::formatv("{0}: at byte {1}: {2}", name_, pos_, what.str()).str());
  }
  template <typename T> llvm::Expected<T> read(const char *what) {
    if (size_ - pos_ < sizeof(T))
      return fail(llvm::Twine("truncated while reading ") + what);
    T value;
    std::memcpy(&value, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }
  llvm::Expected<std::string> readString(const char *what) {
    auto length = read<uint64_t>(what);
    if (!length)
      return length.takeError();
    if (*length > kMaxString || *length > size_ - pos_)
      return fail(llvm::formatv("{0} of {1} bytes runs past the end of the file", what, *length));
    std::string s(reinterpret_cast<const char *>(data_ + pos_), *length);
    pos_ += *length;
    return s;
  }
  uint64_t position() const { return pos_; }

private:
  const uint8_t *data_;
  uint64_t size_, pos_ = 0;
  const std::string &name_;
};

llvm::Expected<GgufFile::Value> readScalar(Reader &r, uint32_t type) {
  auto widen = [](auto e) -> llvm::Expected<GgufFile::Value> {
    if (!e)
      return e.takeError();
    return GgufFile::Value(*e);
  };
  switch (type) {
  case UInt8: { auto v = r.read<uint8_t>("a u8 value"); if (!v) return v.takeError(); return GgufFile::Value(uint64_t(*v)); }
  case Int8: { auto v = r.read<int8_t>("an i8 value"); if (!v) return v.takeError(); return GgufFile::Value(int64_t(*v)); }
  case UInt16: { auto v = r.read<uint16_t>("a u16 value"); if (!v) return v.takeError(); return GgufFile::Value(uint64_t(*v)); }
  case Int16: { auto v = r.read<int16_t>("an i16 value"); if (!v) return v.takeError(); return GgufFile::Value(int64_t(*v)); }
  case UInt32: { auto v = r.read<uint32_t>("a u32 value"); if (!v) return v.takeError(); return GgufFile::Value(uint64_t(*v)); }
  case Int32: { auto v = r.read<int32_t>("an i32 value"); if (!v) return v.takeError(); return GgufFile::Value(int64_t(*v)); }
  case Float32: { auto v = r.read<float>("an f32 value"); if (!v) return v.takeError(); return GgufFile::Value(double(*v)); }
  case Bool: {
    auto v = r.read<uint8_t>("a bool value");
    if (!v)
      return v.takeError();
    if (*v > 1)
      return r.fail("a bool value is neither 0 nor 1");
    return GgufFile::Value(*v == 1);
  }
  case String: return widen(r.readString("a string value"));
  case UInt64: return widen(r.read<uint64_t>("a u64 value"));
  case Int64: return widen(r.read<int64_t>("an i64 value"));
  case Float64: return widen(r.read<double>("an f64 value"));
  default:
    return r.fail(llvm::formatv("unknown metadata value type {0}", type));
  }
}

llvm::Expected<GgufFile::Value> readValue(Reader &r, uint32_t type) {
  if (type != Array)
    return readScalar(r, type);
  auto elementType = r.read<uint32_t>("an array element type");
  auto count = elementType ? r.read<uint64_t>("an array length") : llvm::Expected<uint64_t>(0);
  if (!elementType)
    return elementType.takeError();
  if (!count)
    return count.takeError();
  if (*count > kMaxCount * 64)
    return r.fail(llvm::formatv("an array of {0} elements is implausible", *count));
  if (*elementType == Array)
    return r.fail("nested arrays are not supported");
  std::vector<std::string> strings;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  for (uint64_t i = 0; i < *count; ++i) {
    auto v = readScalar(r, *elementType);
    if (!v)
      return v.takeError();
    if (auto *s = std::get_if<std::string>(&*v))
      strings.push_back(std::move(*s));
    else if (auto *u = std::get_if<uint64_t>(&*v))
      ints.push_back(static_cast<int64_t>(*u));
    else if (auto *n = std::get_if<int64_t>(&*v))
      ints.push_back(*n);
    else if (auto *f = std::get_if<double>(&*v))
      floats.push_back(*f);
    else if (auto *b = std::get_if<bool>(&*v))
      ints.push_back(*b);
  }
  if (*elementType == String)
    return GgufFile::Value(std::move(strings));
  if (*elementType == Float32 || *elementType == Float64)
    return GgufFile::Value(std::move(floats));
  return GgufFile::Value(std::move(ints));
}

} // namespace

llvm::Expected<std::unique_ptr<GgufFile>> GgufFile::open(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!buffer)
    return llvm::createStringError("cannot read " + path + ": " + buffer.getError().message());
  return parse(std::move(*buffer), path);
}

llvm::Expected<std::unique_ptr<GgufFile>> GgufFile::parse(std::unique_ptr<llvm::MemoryBuffer> buffer,
                                                          const std::string &name) {
  auto file = std::unique_ptr<GgufFile>(new GgufFile());
  file->name_ = name;
  const auto *bytes = reinterpret_cast<const uint8_t *>(buffer->getBufferStart());
  uint64_t size = buffer->getBufferSize();
  Reader r(bytes, size, file->name_);
  auto magic = r.read<uint32_t>("the magic number");
  if (!magic)
    return magic.takeError();
  if (std::memcmp(bytes, "GGUF", 4) != 0)
    return llvm::createStringError(name + ": not a GGUF file (bad magic number)");
  auto version = r.read<uint32_t>("the version");
  if (!version)
    return version.takeError();
  if (*version != 2 && *version != 3)
    return llvm::createStringError(llvm::formatv("{0}: GGUF version {1} is not supported (2 or 3)",
                                                 name, *version).str());
  auto tensorCount = r.read<uint64_t>("the tensor count");
  if (!tensorCount)
    return tensorCount.takeError();
  auto kvCount = r.read<uint64_t>("the metadata count");
  if (!kvCount)
    return kvCount.takeError();
  if (*tensorCount > kMaxCount || *kvCount > kMaxCount)
    return r.fail(llvm::formatv("implausible counts: {0} tensors, {1} metadata entries",
                                *tensorCount, *kvCount));
  for (uint64_t i = 0; i < *kvCount; ++i) {
    auto key = r.readString("a metadata key");
    if (!key)
      return key.takeError();
    auto type = r.read<uint32_t>("a metadata value type");
    if (!type)
      return type.takeError();
    auto value = readValue(r, *type);
    if (!value)
      return value.takeError();
    file->metadata_[*key] = std::move(*value);
  }

  struct Info {
    std::string name;
    std::vector<int64_t> shape;
    uint32_t type;
    uint64_t offset;
  };
  std::vector<Info> infos;
  for (uint64_t i = 0; i < *tensorCount; ++i) {
    Info info;
    auto tensorName = r.readString("a tensor name");
    if (!tensorName)
      return tensorName.takeError();
    info.name = *tensorName;
    auto dims = r.read<uint32_t>("a tensor's dimension count");
    if (!dims)
      return dims.takeError();
    if (*dims == 0 || *dims > 4)
      return r.fail(llvm::formatv("tensor {0} has {1} dimensions", info.name, *dims));
    for (uint32_t d = 0; d < *dims; ++d) {
      auto extent = r.read<uint64_t>("a tensor dimension");
      if (!extent)
        return extent.takeError();
      if (*extent == 0 || *extent > (1ull << 40))
        return r.fail(llvm::formatv("tensor {0} has an implausible dimension {1}", info.name, *extent));
      info.shape.insert(info.shape.begin(), static_cast<int64_t>(*extent));
    }
    auto type = r.read<uint32_t>("a tensor type");
    auto offset = type ? r.read<uint64_t>("a tensor offset") : llvm::Expected<uint64_t>(0);
    if (!type)
      return type.takeError();
    if (!offset)
      return offset.takeError();
    info.type = *type;
    info.offset = *offset;
    infos.push_back(std::move(info));
  }

  uint64_t alignment = 32;
  if (auto it = file->metadata_.find("general.alignment"); it != file->metadata_.end()) {
    auto *a = std::get_if<uint64_t>(&it->second);
    if (!a || *a == 0 || !llvm::isPowerOf2_64(*a) || *a > 4096)
      return llvm::createStringError(name + ": general.alignment must be a power of two up to 4096");
    alignment = *a;
  }
  uint64_t dataStart = llvm::alignTo(r.position(), alignment);
  if (dataStart > size)
    return llvm::createStringError(name + ": truncated before the tensor data");
  for (Info &info : infos) {
    TensorView view;
    view.file = name;
    view.name = info.name;
    view.shape = info.shape;
    uint64_t elements = 1;
    for (int64_t d : info.shape)
      if (__builtin_mul_overflow(elements, static_cast<uint64_t>(d), &elements) ||
          elements > (1ull << 48))
        return llvm::createStringError(name + ": tensor " + info.name + " has an implausible size");
    switch (info.type) {
    case GgmlF32: view.dtype = DType::F32; view.bytes = elements * 4; break;
    case GgmlF16: view.dtype = DType::F16; view.bytes = elements * 2; break;
    case GgmlBF16: view.dtype = DType::BF16; view.bytes = elements * 2; break;
    case GgmlI2S:
      if (elements % 128 != 0)
        return llvm::createStringError(name + ": i2_s tensor " + info.name +
                                       " does not hold a multiple of 128 weights");
      view.dtype = DType::I2S;
      view.bytes = elements / 4 + 32; // packed weights, then the f32 scale
      break;
    default:
      return llvm::createStringError(llvm::formatv("{0}: tensor {1} has ggml type {2}; Tern reads "
                                                   "F32, F16, BF16 and I2_S",
                                                   name, info.name, info.type).str());
    }
    if (info.offset % alignment != 0)
      return llvm::createStringError(llvm::formatv("{0}: tensor {1} is not aligned to {2} bytes",
                                                   name, info.name, alignment).str());
    if (info.offset > size - dataStart || view.bytes > size - dataStart - info.offset)
      return llvm::createStringError(llvm::formatv("{0}: tensor {1} ({2} bytes at offset {3}) runs "
                                                   "past the end of the file (truncated?)",
                                                   name, info.name, view.bytes, info.offset).str());
    view.data = bytes + dataStart + info.offset;
    if (!file->tensors_.emplace(info.name, std::move(view)).second)
      return llvm::createStringError(name + ": tensor " + info.name + " appears twice");
  }
  file->buffer_ = std::move(buffer);
  return file;
}

const GgufFile::Value *GgufFile::metadata(llvm::StringRef key) const {
  auto it = metadata_.find(key.str());
  return it == metadata_.end() ? nullptr : &it->second;
}

template <typename T>
static llvm::Expected<const T *> typed(const GgufFile &f, llvm::StringRef key, const char *kind) {
  const GgufFile::Value *v = f.metadata(key);
  if (!v)
    return llvm::createStringError(f.name() + ": missing metadata " + key.str());
  if (const T *t = std::get_if<T>(v))
    return t;
  return llvm::createStringError(f.name() + ": metadata " + key.str() + " is not " + kind);
}

llvm::Expected<std::string> GgufFile::getString(llvm::StringRef key) const {
  auto s = typed<std::string>(*this, key, "a string");
  if (!s)
    return s.takeError();
  return **s;
}

llvm::Expected<int64_t> GgufFile::getInt(llvm::StringRef key) const {
  const Value *v = metadata(key);
  if (v) {
    if (auto *u = std::get_if<uint64_t>(v); u && *u <= uint64_t(INT64_MAX))
      return static_cast<int64_t>(*u);
    if (auto *i = std::get_if<int64_t>(v))
      return *i;
  }
  return llvm::createStringError(name_ + ": " + (v ? "metadata " + key.str() + " is not an integer"
                                                    : "missing metadata " + key.str()));
}

llvm::Expected<double> GgufFile::getFloat(llvm::StringRef key) const {
  auto f = typed<double>(*this, key, "a float");
  if (!f)
    return f.takeError();
  return **f;
}

llvm::Expected<const std::vector<std::string> *> GgufFile::getStrings(llvm::StringRef key) const {
  return typed<std::vector<std::string>>(*this, key, "an array of strings");
}

llvm::Expected<const std::vector<int64_t> *> GgufFile::getInts(llvm::StringRef key) const {
  return typed<std::vector<int64_t>>(*this, key, "an array of integers");
}

llvm::Expected<const TensorView *> GgufFile::tensor(llvm::StringRef tensorName) const {
  auto it = tensors_.find(tensorName.str());
  if (it == tensors_.end())
    return llvm::createStringError(name_ + ": missing tensor " + tensorName.str());
  return &it->second;
}

} // namespace tern
