//===- JsonFuzz.cpp - the runtime's JSON reader (manifests) on arbitrary text ===//
#include "runtime/src/Json.h"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tern::rt::json::Value value;
  std::string error;
  tern::rt::json::parse(std::string_view(reinterpret_cast<const char *>(data), size), value, error);
  return 0;
}
