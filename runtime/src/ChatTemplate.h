//===- ChatTemplate.h - the Jinja subset of chat templates ------*- C++ -*-===//
//
// A chat template (tokenizer_config.json's "chat_template") is a Jinja2
// program that turns a conversation into the prompt text. transformers
// renders it with Python's Jinja2 under trim_blocks and lstrip_blocks; this
// interpreter renders what that renders, for the subset that the Llama 3 and
// BitNet templates are written in:
//
//   {{ e }}  {% set x = e %}  {% for x in e %}...{% endfor %} (loop.index0,
//   index, first, last, length)  {% if e %}...{% elif e %}...{% else %}...
//   {% endif %}  {# comments #}  whitespace control {%- -%} {{- -}} {%+
//   literals: 'strings' "with \n escapes", integers, true/false/none, [lists]
//   e.a  e['a']  e[0]  e[-1]  + ~  == != < > <= >=  in, not in  and or not
//   is [not] defined/undefined/none/string  raise_exception('message')
//   filters: trim capitalize lower upper length first last
//
// Differences from Python: lower, upper and capitalize change ASCII letters
// only and leave other letters as they are; printing a list or a mapping is
// an error, where Python would print its repr.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_CHATTEMPLATE_H
#define TERN_RUNTIME_CHATTEMPLATE_H

#include <memory>
#include <string>
#include <vector>

namespace tern::rt {

struct ChatMessage {
  std::string role;
  std::string content;
};

class ChatTemplate {
public:
  ChatTemplate();
  ChatTemplate(ChatTemplate &&other) noexcept;
  ChatTemplate &operator=(ChatTemplate &&other) noexcept;
  ~ChatTemplate();

  /// Parses `source` once for any number of renders. A syntax error is
  /// reported as "line L, column C: what was expected".
  static bool parse(const std::string &source, ChatTemplate &out, std::string &error);

  /// Renders `messages` (the template sees each as a mapping with 'role' and
  /// 'content') with the variables messages, add_generation_prompt,
  /// bos_token and eos_token. Fails on a type error, on using an undefined
  /// value, or with the message of raise_exception().
  bool render(const std::vector<ChatMessage> &messages, bool addGenerationPrompt,
              const std::string &bosToken, const std::string &eosToken, std::string &out,
              std::string &error) const;

private:
  struct Program;
  std::unique_ptr<const Program> program_;
};

} // namespace tern::rt

#endif // TERN_RUNTIME_CHATTEMPLATE_H
