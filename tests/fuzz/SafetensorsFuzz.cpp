//===- SafetensorsFuzz.cpp - the safetensors reader on arbitrary bytes ----===//
#include "compiler/import/Safetensors.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto buffer = llvm::MemoryBuffer::getMemBufferCopy(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz.safetensors");
  auto file = tern::SafetensorsFile::parse(std::move(buffer), "fuzz.safetensors");
  if (!file) {
    llvm::consumeError(file.takeError());
    return 0;
  }
  // Every view the reader hands out must lie inside the input.
  volatile uint8_t sink = 0;
  for (const auto &[name, view] : (*file)->tensors())
    if (view.bytes)
      sink ^= view.data[0] ^ view.data[view.bytes - 1];
  return 0;
}
