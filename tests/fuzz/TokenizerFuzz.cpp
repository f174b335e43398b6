//===- TokenizerFuzz.cpp - loading a tokenizer.json from arbitrary text ---===//
#include "runtime/src/Tokenizer.h"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tern::rt::Tokenizer tokenizer;
  std::string_view text(reinterpret_cast<const char *>(data), size);
  if (!tern::rt::Tokenizer::load(text, tokenizer, "fuzz.json"))
    return 0;
  // A tokenizer that loads must also encode and decode without trouble.
  std::vector<int32_t> ids;
  if (tokenizer.encode("Hello, world! 123 <|eot_id|>\n\t  x", ids)) {
    std::string out;
    tokenizer.decode(ids, out);
  }
  return 0;
}
