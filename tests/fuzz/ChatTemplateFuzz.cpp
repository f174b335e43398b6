//===- ChatTemplateFuzz.cpp - the Jinja subset on arbitrary templates -----===//
#include "runtime/src/ChatTemplate.h"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string source(reinterpret_cast<const char *>(data), size), error, out;
  tern::rt::ChatTemplate chat;
  if (!tern::rt::ChatTemplate::parse(source, chat, error))
    return 0;
  std::vector<tern::rt::ChatMessage> messages = {{"system", "Be brief."}, {"user", " Hi! "},
                                                 {"assistant", "Hello."}, {"user", "More"}};
  chat.render(messages, true, "<|begin_of_text|>", "<|eot_id|>", out, error);
  return 0;
}
