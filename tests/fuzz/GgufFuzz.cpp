//===- GgufFuzz.cpp - the GGUF reader on arbitrary bytes ------------------===//
#include "compiler/import/Gguf.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto buffer = llvm::MemoryBuffer::getMemBufferCopy(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz.gguf");
  auto file = tern::GgufFile::parse(std::move(buffer), "fuzz.gguf");
  if (!file) {
    llvm::consumeError(file.takeError());
    return 0;
  }
  for (const char *key : {"general.architecture", "tokenizer.ggml.model"})
    if (auto s = (*file)->getString(key); !s)
      llvm::consumeError(s.takeError());
  for (const char *key : {"general.alignment", "bitnet-b1.58.block_count"})
    if (auto i = (*file)->getInt(key); !i)
      llvm::consumeError(i.takeError());
  if (auto tokens = (*file)->getStrings("tokenizer.ggml.tokens"); !tokens)
    llvm::consumeError(tokens.takeError());
  volatile uint8_t sink = 0;
  for (const char *name : {"token_embd.weight", "blk.0.attn_q.weight", "output_norm.weight"}) {
    auto t = (*file)->tensor(name);
    if (!t) {
      llvm::consumeError(t.takeError());
      continue;
    }
    if ((*t)->bytes)
      sink ^= (*t)->data[0] ^ (*t)->data[(*t)->bytes - 1];
  }
  return 0;
}
