//===- ConfigFuzz.cpp - the config.json reader on arbitrary text ----------===//
#include "compiler/import/Formats.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto config = tern::parseHuggingFaceConfig(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "config.json");
  if (!config)
    llvm::consumeError(config.takeError());
  return 0;
}
