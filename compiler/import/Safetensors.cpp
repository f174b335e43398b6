//===- Safetensors.cpp ----------------------------------------------------===//
#include "compiler/import/Safetensors.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

namespace tern {

static constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

static bool parseDType(llvm::StringRef s, DType &dtype, uint64_t &size) {
  if (s == "U8")
    return dtype = DType::U8, size = 1, true;
  if (s == "I8")
    return dtype = DType::I8, size = 1, true;
  if (s == "BF16")
    return dtype = DType::BF16, size = 2, true;
  if (s == "F16")
    return dtype = DType::F16, size = 2, true;
  if (s == "F32")
    return dtype = DType::F32, size = 4, true;
  return false;
}

llvm::Expected<std::unique_ptr<SafetensorsFile>> SafetensorsFile::open(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!buffer)
    return llvm::createStringError("cannot read " + path + ": " + buffer.getError().message());
  return parse(std::move(*buffer), path);
}

llvm::Expected<std::unique_ptr<SafetensorsFile>>
SafetensorsFile::parse(std::unique_ptr<llvm::MemoryBuffer> buffer, const std::string &name) {
  auto fail = [&](const llvm::Twine &what) {
    return llvm::createStringError(name + ": " + what.str());
  };
  uint64_t size = buffer->getBufferSize();
  const auto *bytes = reinterpret_cast<const uint8_t *>(buffer->getBufferStart());
  if (size < 8)
    return fail(llvm::formatv("truncated: {0} bytes, not even the 8-byte header length", size));
  uint64_t headerSize = 0;
  for (int i = 0; i < 8; ++i)
    headerSize |= static_cast<uint64_t>(bytes[i]) << (8 * i);
  if (headerSize > kMaxHeaderBytes)
    return fail(llvm::formatv("header length {0} is larger than the 100 MiB Tern accepts", headerSize));
  if (headerSize > size - 8)
    return fail(llvm::formatv("truncated: the header claims {0} bytes but the file has {1} after "
                              "the length",
                              headerSize, size - 8));
  llvm::StringRef headerText(reinterpret_cast<const char *>(bytes + 8), headerSize);
  auto header = llvm::json::parse(headerText);
  if (!header)
    return fail("the header is not valid JSON: " + llvm::toString(header.takeError()));
  const llvm::json::Object *object = header->getAsObject();
  if (!object)
    return fail("the header is not a JSON object");

  auto file = std::unique_ptr<SafetensorsFile>(new SafetensorsFile());
  file->name_ = name;
  const uint8_t *data = bytes + 8 + headerSize;
  uint64_t dataSize = size - 8 - headerSize;
  std::vector<std::pair<uint64_t, uint64_t>> extents;
  for (const auto &[key, value] : *object) {
    if (key == "__metadata__")
      continue;
    std::string tensor = key.str();
    const llvm::json::Object *info = value.getAsObject();
    if (!info)
      return fail("tensor " + tensor + ": entry is not an object");
    TensorView view;
    view.file = name;
    view.name = tensor;
    std::optional<llvm::StringRef> dtype = info->getString("dtype");
    uint64_t elementSize = 0;
    if (!dtype)
      return fail("tensor " + tensor + ": missing dtype");
    if (!parseDType(*dtype, view.dtype, elementSize))
      return fail("tensor " + tensor + ": dtype " + *dtype +
                  " is not one Tern reads (U8, I8, BF16, F16, F32)");
    const llvm::json::Array *shape = info->getArray("shape");
    if (!shape)
      return fail("tensor " + tensor + ": missing shape");
    uint64_t elements = 1;
    for (const llvm::json::Value &d : *shape) {
      std::optional<int64_t> dim = d.getAsInteger();
      if (!dim || *dim < 0)
        return fail("tensor " + tensor + ": shape must hold non-negative integers");
      if (*dim != 0 && elements > (1ull << 50) / static_cast<uint64_t>(*dim))
        return fail("tensor " + tensor + ": shape is implausibly large");
      elements *= static_cast<uint64_t>(*dim);
      view.shape.push_back(*dim);
    }
    const llvm::json::Array *offsets = info->getArray("data_offsets");
    std::optional<int64_t> begin, end;
    if (offsets && offsets->size() == 2) {
      begin = (*offsets)[0].getAsInteger();
      end = (*offsets)[1].getAsInteger();
    }
    if (!begin || !end || *begin < 0 || *end < *begin)
      return fail("tensor " + tensor + ": data_offsets must be two integers 0 <= begin <= end");
    if (static_cast<uint64_t>(*end) > dataSize)
      return fail(llvm::formatv("tensor {0}: data ends at byte {1} but the data section has {2} "
                                "bytes (truncated file or lying header)",
                                tensor, *end, dataSize));
    uint64_t extent = static_cast<uint64_t>(*end - *begin);
    if (extent != elements * elementSize)
      return fail(llvm::formatv("tensor {0}: {1} bytes for {2} elements of {3} (expected {4})",
                                tensor, extent, elements, *dtype, elements * elementSize));
    view.data = data + *begin;
    view.bytes = extent;
    extents.emplace_back(*begin, *end);
    file->tensors_[tensor] = std::move(view);
  }
  llvm::sort(extents);
  for (size_t i = 1; i < extents.size(); ++i)
    if (extents[i].first < extents[i - 1].second)
      return fail(llvm::formatv("tensors overlap at bytes [{0}, {1})", extents[i].first,
                                extents[i - 1].second));
  file->buffer_ = std::move(buffer);
  return file;
}

const TensorView *SafetensorsFile::find(llvm::StringRef name) const {
  auto it = tensors_.find(name.str());
  return it == tensors_.end() ? nullptr : &it->second;
}

llvm::Expected<const TensorView *> SafetensorsFile::get(llvm::StringRef name) const {
  if (const TensorView *t = find(name))
    return t;
  return llvm::createStringError(name_ + ": missing tensor " + name.str());
}

} // namespace tern
