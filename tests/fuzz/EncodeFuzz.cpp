//===- EncodeFuzz.cpp - the Llama 3 tokenizer on arbitrary bytes ----------===//
#include "runtime/src/Tokenizer.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

static tern::rt::Tokenizer *tokenizer;

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  static tern::rt::Tokenizer t;
  if (!tern::rt::Tokenizer::loadFile(TERN_FUZZ_TOKENIZER, t))
    std::abort(); // the test only runs when the tokenizer is installed
  tokenizer = &t;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  std::vector<int32_t> ids;
  if (!tokenizer->encode(text, ids))
    return 0;
  std::string decoded;
  tokenizer->decode(ids, decoded);
  return 0;
}
