//===- tern-tokenize.cpp - tokenize text and render chat prompts ----------===//
//
//   tern-tokenize -t tokenizer.json [FILE]             one JSON array of ids per line
//   tern-tokenize -t tokenizer.json --whole [FILE]     the whole input as one text
//   tern-tokenize -t tokenizer.json --decode [FILE]    check decode(encode(line)) == line
//   tern-tokenize -t tokenizer.json --ids [FILE]       decode JSON arrays of ids
//   tern-tokenize --chat CONVERSATIONS.json --config tokenizer_config.json
//
// Everything goes through the runtime's C API (tern/tokenizer.h), so this is
// also how the tests compare that API with Hugging Face's tokenizers.
//
//===----------------------------------------------------------------------===//
#include "runtime/include/tern/runtime.h"
#include "runtime/include/tern/tokenizer.h"
#include "runtime/src/Json.h"
#include "runtime/src/Utf8.h"
#include "tools/common/Args.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

using namespace tern;

namespace {

int fail(const std::string &message) {
  std::fprintf(stderr, "tern-tokenize: error: %s\n", message.c_str());
  return 1;
}

bool readInput(const std::string &path, std::string &text, std::string &error) {
  if (path.empty() || path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), {});
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path;
    return false;
  }
  text.assign(std::istreambuf_iterator<char>(in), {});
  return true;
}

/// The input's lines, without their "\n"; a "\r" before it stays.
std::vector<std::string_view> splitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos)
      end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string jsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char escape[8];
        std::snprintf(escape, sizeof escape, "\\u%04x", c);
        out += escape;
      } else {
        out += c;
      }
    }
  }
  return out + "\"";
}

std::string jsonIds(const std::vector<int32_t> &ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i)
    out += (i ? "," : "") + std::to_string(ids[i]);
  return out + "]";
}

using TokenizerPtr = std::unique_ptr<tern_tokenizer, void (*)(tern_tokenizer *)>;

/// The C API's convention: ask, and ask again with room for the full count.
bool encode(const tern_tokenizer *tokenizer, std::string_view text, bool parseSpecial,
            std::vector<int32_t> &ids) {
  ids.resize(text.size() + 1);
  int64_t n = tern_tokenizer_encode(tokenizer, text.data(), text.size(), parseSpecial, ids.data(),
                                    static_cast<int64_t>(ids.size()));
  if (n > static_cast<int64_t>(ids.size())) {
    ids.resize(n);
    n = tern_tokenizer_encode(tokenizer, text.data(), text.size(), parseSpecial, ids.data(), n);
  }
  if (n < 0)
    return false;
  ids.resize(n);
  return true;
}

bool decode(const tern_tokenizer *tokenizer, const std::vector<int32_t> &ids, bool skipSpecial,
            std::string &text) {
  text.resize(ids.size() * 4 + 16);
  auto count = static_cast<int64_t>(ids.size());
  int64_t n = tern_tokenizer_decode(tokenizer, ids.data(), count, skipSpecial, text.data(),
                                    static_cast<int64_t>(text.size()));
  if (n > static_cast<int64_t>(text.size())) {
    text.resize(n);
    n = tern_tokenizer_decode(tokenizer, ids.data(), count, skipSpecial, text.data(), n);
  }
  if (n < 0)
    return false;
  text.resize(n);
  return true;
}

struct Options {
  std::string tokenizerPath, chatPath, configPath, templatePath;
  bool decodeCheck = false, whole = false, idsInput = false, skipSpecial = false, noSpecial = false,
       addGenerationPrompt = false, stats = false;
};

int checkRoundTrips(const tern_tokenizer *tokenizer, const std::vector<std::string_view> &lines,
                    const Options &options, int64_t &tokens) {
  constexpr int kShown = 10;
  int64_t mismatches = 0, invalid = 0;
  std::vector<int32_t> ids;
  std::string text;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!encode(tokenizer, lines[i], !options.noSpecial, ids) ||
        !decode(tokenizer, ids, false, text))
      return fail("line " + std::to_string(i + 1) + ": " + tern_last_error());
    tokens += static_cast<int64_t>(ids.size());
    // Invalid UTF-8 is read as U+FFFD, so that is what comes back.
    std::string expected = rt::toValidUtf8(lines[i]);
    invalid += expected != lines[i];
    if (text == expected)
      continue;
    if (++mismatches <= kShown)
      std::printf(
          "line %zu: decode(encode(line)) differs\n  line:    %s\n  decoded: %s\n  ids:     %s\n",
          i + 1, jsonString(expected).c_str(), jsonString(text).c_str(), jsonIds(ids).c_str());
  }
  std::printf("%zu lines (%lld not valid UTF-8, compared after U+FFFD replacement), %lld tokens: "
              "%s\n",
              lines.size(), static_cast<long long>(invalid), static_cast<long long>(tokens),
              mismatches ? (std::to_string(mismatches) + " lines do not round-trip").c_str()
                         : "every line round-trips");
  return mismatches ? 1 : 0;
}

int decodeIdLines(const tern_tokenizer *tokenizer, const std::vector<std::string_view> &lines,
                  const Options &options, int64_t &tokens) {
  std::vector<int32_t> ids;
  std::string text;
  for (size_t i = 0; i < lines.size(); ++i) {
    rt::json::Value array;
    std::string error;
    if (!rt::json::parse(lines[i], array, error))
      return fail("line " + std::to_string(i + 1) + ": " + error);
    if (!array.isArray())
      return fail("line " + std::to_string(i + 1) + ": expected a JSON array of ids");
    ids.clear();
    for (const rt::json::Value &id : array.asArray()) {
      if (!id.isInteger() || id.asInt() < INT32_MIN || id.asInt() > INT32_MAX)
        return fail("line " + std::to_string(i + 1) + ": expected a JSON array of ids");
      ids.push_back(static_cast<int32_t>(id.asInt()));
    }
    if (!decode(tokenizer, ids, options.skipSpecial, text))
      return fail("line " + std::to_string(i + 1) + ": " + tern_last_error());
    tokens += static_cast<int64_t>(ids.size());
    std::printf("%s\n", jsonString(text).c_str());
  }
  return 0;
}

int runTokenizer(const Options &options, const std::string &inputPath) {
  TokenizerPtr tokenizer(tern_tokenizer_load(options.tokenizerPath.c_str()), tern_tokenizer_free);
  if (!tokenizer)
    return fail(tern_last_error());
  std::string input, error;
  if (!readInput(inputPath, input, error))
    return fail(error);
  auto start = std::chrono::steady_clock::now();
  std::vector<std::string_view> lines =
      options.whole ? std::vector<std::string_view>{input} : splitLines(input);
  int64_t tokens = 0;
  int status = 0;
  if (options.decodeCheck) {
    status = checkRoundTrips(tokenizer.get(), lines, options, tokens);
  } else if (options.idsInput) {
    status = decodeIdLines(tokenizer.get(), lines, options, tokens);
  } else {
    std::vector<int32_t> ids;
    std::string out;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (!encode(tokenizer.get(), lines[i], !options.noSpecial, ids))
        return fail("line " + std::to_string(i + 1) + ": " + tern_last_error());
      tokens += static_cast<int64_t>(ids.size());
      out += jsonIds(ids) + "\n";
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (options.stats)
    std::fprintf(stderr, "tern-tokenize: %zu lines, %zu bytes, %lld tokens in %.3f s\n",
                 lines.size(), input.size(), static_cast<long long>(tokens), seconds);
  return status;
}

/// A token of tokenizer_config.json: a string, or an AddedToken object.
std::string configToken(const rt::json::Value &config, const char *key) {
  const rt::json::Value *token = config.find(key);
  if (token && token->isObject())
    token = token->find("content");
  return token && token->isString() ? token->asString() : std::string();
}

int renderChats(const Options &options) {
  std::string templateSource, bos, eos, text, error;
  if (!options.configPath.empty()) {
    rt::json::Value config;
    if (!readInput(options.configPath, text, error))
      return fail(error);
    if (!rt::json::parse(text, config, error))
      return fail(options.configPath + ": " + error);
    const rt::json::Value *source = config.find("chat_template");
    if (source && source->isString())
      templateSource = source->asString();
    else if (options.templatePath.empty())
      return fail(options.configPath + " has no 'chat_template' string (use --template)");
    bos = configToken(config, "bos_token");
    eos = configToken(config, "eos_token");
  }
  if (!options.templatePath.empty() && !readInput(options.templatePath, templateSource, error))
    return fail(error);
  if (options.configPath.empty() && options.templatePath.empty())
    return fail("--chat needs --config or --template");
  std::unique_ptr<tern_chat_template, void (*)(tern_chat_template *)> chat(
      tern_chat_template_parse(templateSource.c_str()), tern_chat_template_free);
  if (!chat)
    return fail(tern_last_error());

  rt::json::Value conversations;
  if (!readInput(options.chatPath, text, error))
    return fail(error);
  if (!rt::json::parse(text, conversations, error))
    return fail(options.chatPath + ": " + error);
  const char *shape = ": expected an array of conversations, each an array of "
                      "{\"role\": ..., \"content\": ...}";
  if (!conversations.isArray())
    return fail(options.chatPath + shape);
  for (const rt::json::Value &conversation : conversations.asArray()) {
    std::vector<const char *> roles, contents;
    if (!conversation.isArray())
      return fail(options.chatPath + shape);
    for (const rt::json::Value &message : conversation.asArray()) {
      const rt::json::Value *role = message.find("role"), *content = message.find("content");
      if (!role || !role->isString() || !content || !content->isString())
        return fail(options.chatPath + shape);
      roles.push_back(role->asString().c_str());
      contents.push_back(content->asString().c_str());
    }
    std::string rendered(4096, '\0');
    for (int attempt = 0; attempt < 2; ++attempt) {
      int64_t n = tern_chat_template_render(chat.get(), roles.data(), contents.data(),
                                            static_cast<int64_t>(roles.size()),
                                            options.addGenerationPrompt, bos.c_str(), eos.c_str(),
                                            rendered.data(), static_cast<int64_t>(rendered.size()));
      if (n < 0)
        return fail(tern_last_error());
      bool fits = n <= static_cast<int64_t>(rendered.size());
      rendered.resize(n);
      if (fits)
        break;
    }
    std::printf("%s\n", jsonString(rendered).c_str());
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  std::vector<std::string> inputs;
  tools::ArgParser args(
      "tern-tokenize",
      "Tokenize text as Hugging Face's tokenizers do, with the runtime's tokenizer (Llama 3's "
      "byte-level BPE, read from a tokenizer.json), or render conversations with a chat "
      "template.\n\nBy default each line of the input (a file, or standard input) is encoded and "
      "printed as one JSON array of ids; no BOS is added. Text that is not valid UTF-8 is read "
      "as U+FFFD.");
  args.positional(&inputs, "FILE", "input text (default: standard input)");
  args.option("tokenizer", &options.tokenizerPath, "PATH", "the tokenizer.json to load");
  args.alias("t", "tokenizer");
  args.flag("whole", &options.whole, "encode the whole input as one text, newlines included");
  args.flag("no-special", &options.noSpecial,
            "tokenize added tokens' text such as <|eot_id|> as plain text");
  args.flag("decode", &options.decodeCheck,
            "check that decode(encode(line)) gives back every line; print the lines that do not "
            "and exit with 1");
  args.flag("ids", &options.idsInput,
            "read a JSON array of ids per line and print its decoded text as a JSON string");
  args.flag("skip-special", &options.skipSpecial, "with --ids: leave out special tokens");
  args.option("chat", &options.chatPath, "FILE",
              "render conversations: FILE is a JSON array of conversations, each an array of "
              "{\"role\", \"content\"} messages; prints each prompt as a JSON string");
  args.option("config", &options.configPath, "PATH",
              "tokenizer_config.json whose chat_template, bos_token and eos_token --chat uses");
  args.option("template", &options.templatePath, "PATH",
              "with --chat: a Jinja chat template file, instead of the config's");
  args.flag("add-generation-prompt", &options.addGenerationPrompt,
            "with --chat: set add_generation_prompt");
  args.flag("stats", &options.stats,
            "print the number of lines and tokens and the time taken to standard error");
  if (int rc = args.parseCommandLine(argc, argv); rc >= 0)
    return rc;
  if (inputs.size() > 1)
    return fail("give at most one input file");
  if (!options.chatPath.empty())
    return renderChats(options);
  if (options.tokenizerPath.empty())
    return fail("no tokenizer given (--tokenizer PATH, see --help)");
  if (options.idsInput && (options.decodeCheck || options.whole))
    return fail("--ids cannot be combined with --decode or --whole");
  return runTokenizer(options, inputs.empty() ? "" : inputs[0]);
}
