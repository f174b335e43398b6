//===- ChatTemplate.cpp ---------------------------------------------------===//
//
// Three stages, each following Jinja2's own: the lexer cuts the source into
// text and the tokens inside {{ }} and {% %} (applying whitespace control,
// trim_blocks and lstrip_blocks), the parser builds a tree with Jinja's
// operator precedence, and the renderer evaluates it with Python's value
// semantics.
//
//===----------------------------------------------------------------------===//
#include "runtime/src/ChatTemplate.h"
#include "runtime/src/Utf8.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

namespace tern::rt {

namespace {

// Bounds the recursion of the parser and renderer on hostile templates.
constexpr int kMaxNesting = 256;

/// "line L, column C: " for a byte offset of `source` (columns count
/// characters).
std::string positionOf(const std::string &source, size_t pos) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < pos && i < source.size(); ++i) {
    if (source[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(source[i]) & 0xC0) != 0x80) {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": ";
}

/// Python's str.isspace(), which str.strip() and the \s of Jinja's lexer use.
bool isPythonSpace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/// Length of the whitespace character at s[i], or 0.
size_t pythonSpaceAt(std::string_view s, size_t i) {
  uint32_t cp;
  size_t n = utf8SequenceAt(s, i, cp);
  return n > 0 && isPythonSpace(cp) ? n : 0;
}

std::string_view stripLeft(std::string_view s) {
  size_t n;
  while (!s.empty() && (n = pythonSpaceAt(s, 0)) > 0)
    s.remove_prefix(n);
  return s;
}

std::string_view stripRight(std::string_view s) {
  while (!s.empty()) {
    size_t start = s.size() - 1;
    while (start > 0 && s.size() - start < 4 &&
           (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80)
      --start;
    if (pythonSpaceAt(s, start) != s.size() - start)
      break;
    s.remove_suffix(s.size() - start);
  }
  return s;
}

/// The characters of `s`; a byte that is not valid UTF-8 counts as one.
std::vector<std::string_view> charactersOf(std::string_view s) {
  std::vector<std::string_view> characters;
  uint32_t cp;
  for (size_t i = 0; i < s.size();) {
    size_t n = std::max<size_t>(1, utf8SequenceAt(s, i, cp));
    characters.push_back(s.substr(i, n));
    i += n;
  }
  return characters;
}

//===--- Values -----------------------------------------------------------===//

struct Value;
using List = std::vector<Value>;
using Map = std::vector<std::pair<std::string, Value>>;

/// A Jinja value. An undefined one carries the message that an error about
/// using it shows ("'x' is undefined").
struct Value {
  enum class Kind { Undefined, None, Bool, Int, String, List, Map };
  Kind kind = Kind::Undefined;
  bool boolean = false;
  int64_t integer = 0;
  std::string text;
  std::shared_ptr<const List> list;
  std::shared_ptr<const Map> map;

  static Value undefined(std::string why) {
    Value v;
    v.text = std::move(why);
    return v;
  }
  static Value none() {
    Value v;
    v.kind = Kind::None;
    return v;
  }
  static Value fromBool(bool b) {
    Value v;
    v.kind = Kind::Bool;
    v.boolean = b;
    return v;
  }
  static Value fromInt(int64_t i) {
    Value v;
    v.kind = Kind::Int;
    v.integer = i;
    return v;
  }
  static Value fromString(std::string s) {
    Value v;
    v.kind = Kind::String;
    v.text = std::move(s);
    return v;
  }
  static Value fromList(List items) {
    Value v;
    v.kind = Kind::List;
    v.list = std::make_shared<const List>(std::move(items));
    return v;
  }
  static Value fromMap(Map members) {
    Value v;
    v.kind = Kind::Map;
    v.map = std::make_shared<const Map>(std::move(members));
    return v;
  }

  bool isNumber() const { return kind == Kind::Bool || kind == Kind::Int; }
  /// Python's bool is an int: True + 1 == 2.
  int64_t number() const { return kind == Kind::Bool ? boolean : integer; }
};

/// Python's name of the value's type, for messages.
const char *typeName(const Value &v) {
  switch (v.kind) {
  case Value::Kind::Undefined: return "Undefined";
  case Value::Kind::None: return "NoneType";
  case Value::Kind::Bool: return "bool";
  case Value::Kind::Int: return "int";
  case Value::Kind::String: return "str";
  case Value::Kind::List: return "list";
  case Value::Kind::Map: return "dict";
  }
  return "?";
}

bool truthy(const Value &v) {
  switch (v.kind) {
  case Value::Kind::Undefined:
  case Value::Kind::None: return false;
  case Value::Kind::Bool: return v.boolean;
  case Value::Kind::Int: return v.integer != 0;
  case Value::Kind::String: return !v.text.empty();
  case Value::Kind::List: return !v.list->empty();
  case Value::Kind::Map: return !v.map->empty();
  }
  return false;
}

const Value *findMember(const Map &map, std::string_view key) {
  for (const auto &member : map)
    if (member.first == key)
      return &member.second;
  return nullptr;
}

bool equal(const Value &a, const Value &b) {
  if (a.isNumber() && b.isNumber())
    return a.number() == b.number();
  if (a.kind != b.kind)
    return false;
  switch (a.kind) {
  case Value::Kind::String: return a.text == b.text;
  case Value::Kind::List:
    if (a.list->size() != b.list->size())
      return false;
    for (size_t i = 0; i < a.list->size(); ++i)
      if (!equal((*a.list)[i], (*b.list)[i]))
        return false;
    return true;
  case Value::Kind::Map:
    if (a.map->size() != b.map->size())
      return false;
    for (const auto &[key, value] : *a.map) {
      const Value *other = findMember(*b.map, key);
      if (!other || !equal(value, *other))
        return false;
    }
    return true;
  default: return true; // both undefined, or both none
  }
}

//===--- Lexer ------------------------------------------------------------===//

enum class Tok {
  Data,
  OutputBegin,
  OutputEnd,
  StatementBegin,
  StatementEnd,
  Name,
  String,
  Integer,
  Operator,
  End
};

struct Token {
  Tok kind;
  std::string text; // data, name, string value or operator
  int64_t integer = 0;
  size_t pos = 0;
};

class Lexer {
public:
  explicit Lexer(const std::string &source) : s_(source) {}

  bool run(std::vector<Token> &tokens, std::string &error) {
    while (pos_ < s_.size()) {
      size_t open = findTagOpening(pos_);
      std::string_view data(s_.data() + pos_,
                            (open == std::string::npos ? s_.size() : open) - pos_);
      if (open == std::string::npos) {
        tokens.push_back({Tok::Data, std::string(data), 0, pos_});
        break;
      }
      char kind = s_[open + 1];
      char sign =
          open + 2 < s_.size() && (s_[open + 2] == '-' || s_[open + 2] == '+') ? s_[open + 2] : 0;
      if (sign == '-')
        data = stripRight(data);
      else if (sign != '+' && kind != '{')
        data = lstripBlock(data);
      if (!data.empty())
        tokens.push_back({Tok::Data, std::string(data), 0, pos_});
      size_t body = open + 2 + (sign ? 1 : 0);
      bool ok = kind == '#' ? skipComment(open, body) : lexTag(kind == '{', open, body, tokens);
      if (!ok) {
        error = error_;
        return false;
      }
    }
    tokens.push_back({Tok::End, "", 0, s_.size()});
    return true;
  }

private:
  size_t findTagOpening(size_t from) const {
    for (size_t i = s_.find('{', from); i != std::string::npos; i = s_.find('{', i + 1))
      if (i + 1 < s_.size() && (s_[i + 1] == '{' || s_[i + 1] == '%' || s_[i + 1] == '#'))
        return i;
    return std::string::npos;
  }

  bool error(size_t pos, const std::string &message) {
    error_ = positionOf(s_, pos) + message;
    return false;
  }

  size_t skipSpace(size_t i) const {
    size_t n;
    while (i < s_.size() && (n = pythonSpaceAt(s_, i)) > 0)
      i += n;
    return i;
  }

  /// lstrip_blocks: whitespace between the start of a line and a block tag
  /// goes.
  std::string_view lstripBlock(std::string_view data) const {
    size_t newline = data.rfind('\n');
    size_t lineStart = newline == std::string_view::npos ? 0 : newline + 1;
    if (lineStart == 0 && !lineStarting_)
      return data;
    std::string_view tail = data.substr(lineStart);
    return !tail.empty() && stripLeft(tail).empty() ? data.substr(0, lineStart) : data;
  }

  /// Moves past a tag's end marker at `end` (already past the marker):
  /// "-" strips the whitespace that follows, trim_blocks removes the newline
  /// after a block or comment tag unless "+" asks to keep it.
  void finishTag(size_t end, char sign, bool isBlock) {
    if (sign == '-')
      end = skipSpace(end);
    else if (sign != '+' && isBlock && end < s_.size() && s_[end] == '\n')
      ++end;
    lineStarting_ = end > 0 && s_[end - 1] == '\n';
    pos_ = end;
  }

  bool skipComment(size_t open, size_t body) {
    size_t close = s_.find("#}", body);
    if (close == std::string::npos)
      return error(open, "missing '#}' to close this comment");
    char sign = close > body && (s_[close - 1] == '-' || s_[close - 1] == '+') ? s_[close - 1] : 0;
    finishTag(close + 2, sign, true);
    return true;
  }

  bool lexTag(bool isOutput, size_t open, size_t body, std::vector<Token> &tokens) {
    tokens.push_back({isOutput ? Tok::OutputBegin : Tok::StatementBegin, "", 0, open});
    const char *close = isOutput ? "}}" : "%}";
    std::string balance; // closing brackets still expected
    size_t i = body;
    while (true) {
      i = skipSpace(i);
      if (i >= s_.size())
        return error(open, std::string("missing '") + close + "' to close this '" +
                               s_.substr(open, 2) + "'");
      if (balance.empty()) {
        char sign = (s_[i] == '-' || (s_[i] == '+' && !isOutput)) ? s_[i] : 0;
        size_t marker = sign ? i + 1 : i;
        if (s_.compare(marker, 2, close) == 0) {
          tokens.push_back({isOutput ? Tok::OutputEnd : Tok::StatementEnd, "", 0, i});
          finishTag(marker + 2, sign, !isOutput);
          return true;
        }
      }
      Token token{Tok::Operator, "", 0, i};
      char c = s_[i];
      if (c >= '0' && c <= '9') {
        token.kind = Tok::Integer;
        for (; i < s_.size() && s_[i] >= '0' && s_[i] <= '9'; ++i) {
          if (token.integer > (INT64_MAX - (s_[i] - '0')) / 10)
            return error(token.pos, "integer literal too large");
          token.integer = token.integer * 10 + (s_[i] - '0');
        }
        if (i + 1 < s_.size() && s_[i] == '.' && s_[i + 1] >= '0' && s_[i + 1] <= '9')
          return error(token.pos, "floating-point numbers are not supported");
      } else if (c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        token.kind = Tok::Name;
        size_t start = i;
        while (i < s_.size() && (s_[i] == '_' || (s_[i] >= 'a' && s_[i] <= 'z') ||
                                 (s_[i] >= 'A' && s_[i] <= 'Z') || (s_[i] >= '0' && s_[i] <= '9')))
          ++i;
        token.text = s_.substr(start, i - start);
      } else if (c == '\'' || c == '"') {
        token.kind = Tok::String;
        if (!lexString(i, token.text))
          return false;
      } else {
        static const char *const kOperators[] = {"//", "**", "==", "!=", ">=", "<=", "+", "-", "/",
                                                 "*",  "%",  "~",  "[",  "]",  "(",  ")", "{", "}",
                                                 "<",  ">",  "=",  ".",  ":",  "|",  ",", ";"};
        for (const char *op : kOperators)
          if (s_.compare(i, std::char_traits<char>::length(op), op) == 0) {
            token.text = op;
            break;
          }
        if (token.text.empty())
          return error(i, std::string("unexpected character '") + c + "'");
        i += token.text.size();
        if (token.text == "(" || token.text == "[" || token.text == "{") {
          balance += token.text == "(" ? ')' : token.text == "[" ? ']' : '}';
        } else if (token.text == ")" || token.text == "]" || token.text == "}") {
          if (balance.empty() || balance.back() != token.text[0])
            return error(
                token.pos,
                "unexpected '" + token.text + "'" +
                    (balance.empty() ? "" : std::string(", expected '") + balance.back() + "'"));
          balance.pop_back();
        }
      }
      tokens.push_back(std::move(token));
    }
  }

  /// A string literal at s_[i] with Python's escapes; `i` moves past it.
  bool lexString(size_t &i, std::string &value) {
    size_t start = i;
    char quote = s_[i++];
    auto hexDigits = [&](size_t count, uint32_t &cp) {
      cp = 0;
      for (size_t k = 0; k < count; ++k, ++i) {
        char h = i < s_.size() ? s_[i] : '\0';
        int digit = h >= '0' && h <= '9'   ? h - '0'
                    : h >= 'a' && h <= 'f' ? h - 'a' + 10
                    : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                           : -1;
        if (digit < 0)
          return false;
        cp = cp * 16 + static_cast<uint32_t>(digit);
      }
      return true;
    };
    while (i < s_.size() && s_[i] != quote) {
      if (s_[i] != '\\') {
        value += s_[i++];
        continue;
      }
      if (i + 1 >= s_.size())
        break;
      size_t escape = i;
      char e = s_[i + 1];
      i += 2;
      uint32_t cp;
      switch (e) {
      case '\n': break; // a continued line
      case '\\':
      case '\'':
      case '"': value += e; break;
      case 'a': value += '\a'; break;
      case 'b': value += '\b'; break;
      case 'f': value += '\f'; break;
      case 'n': value += '\n'; break;
      case 'r': value += '\r'; break;
      case 't': value += '\t'; break;
      case 'v': value += '\v'; break;
      case 'x':
      case 'u':
      case 'U':
        if (!hexDigits(e == 'x' ? 2 : e == 'u' ? 4 : 8, cp))
          return error(escape, std::string("truncated \\") + e + " escape");
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
          return error(escape, "\\" + std::string(1, e) +
                                   " escape of a code point that UTF-8 cannot encode");
        appendUtf8(value, cp);
        break;
      case 'N': return error(escape, "\\N{...} escapes are not supported");
      default:
        if (e >= '0' && e <= '7') {
          cp = static_cast<uint32_t>(e - '0');
          for (int k = 0; k < 2 && i < s_.size() && s_[i] >= '0' && s_[i] <= '7'; ++k)
            cp = cp * 8 + static_cast<uint32_t>(s_[i++] - '0');
          appendUtf8(value, cp);
        } else {
          value += '\\'; // Python keeps unknown escapes as written
          value += e;
        }
      }
    }
    if (i >= s_.size())
      return error(start, "unterminated string");
    ++i;
    return true;
  }

  const std::string &s_;
  size_t pos_ = 0;
  bool lineStarting_ = true; // the previous tag ended a line
  std::string error_;
};

//===--- Syntax tree and parser -------------------------------------------===//

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    Literal,
    Variable,
    Attribute,
    Item,
    ListLiteral,
    Negate,
    Not,
    And,
    Or,
    Add,
    Concat,
    Compare,
    Filter,
    Test,
    RaiseException
  };
  Kind kind;
  size_t pos;
  Value literal;
  std::string name; // of the variable, attribute, filter or test
  bool negated = false;
  std::vector<ExprPtr> operands;
  std::vector<std::string> comparisons; // between consecutive operands
};

struct Node {
  enum class Kind { Text, Output, Set, For, If };
  Node(Kind kind, size_t pos) : kind(kind), pos(pos) {}

  Kind kind;
  size_t pos;
  std::string text; // the text, or the variable set or looped over
  ExprPtr expr;
  std::vector<Node> body;
  /// The if/elif branches; the else branch has no condition.
  std::vector<std::pair<ExprPtr, std::vector<Node>>> branches;
};

bool isKnownFilter(const std::string &name) {
  for (const char *filter : {"trim", "capitalize", "lower", "upper", "length", "first", "last"})
    if (name == filter)
      return true;
  return false;
}

bool isKnownTest(const std::string &name) {
  for (const char *test : {"defined", "undefined", "none", "string"})
    if (name == test)
      return true;
  return false;
}

class Parser {
public:
  Parser(const std::vector<Token> &tokens, const std::string &source)
      : tokens_(tokens), source_(source) {}

  bool parseTemplate(std::vector<Node> &body, std::string &error) {
    std::string terminator;
    bool ok = parseBody(body, {}, terminator);
    if (!ok)
      error = error_;
    return ok;
  }

private:
  const Token &peek(size_t ahead = 0) const {
    return tokens_[std::min(index_ + ahead, tokens_.size() - 1)];
  }
  const Token &next() {
    const Token &token = peek();
    if (index_ + 1 < tokens_.size())
      ++index_;
    return token;
  }
  bool isName(const char *word, size_t ahead = 0) const {
    return peek(ahead).kind == Tok::Name && peek(ahead).text == word;
  }
  bool isOperator(const char *op) const {
    return peek().kind == Tok::Operator && peek().text == op;
  }

  static std::string describe(const Token &token) {
    switch (token.kind) {
    case Tok::End: return "end of template";
    case Tok::Data: return "text";
    case Tok::OutputBegin: return "'{{'";
    case Tok::OutputEnd: return "'}}'";
    case Tok::StatementBegin: return "'{%'";
    case Tok::StatementEnd: return "'%}'";
    case Tok::String: return "a string";
    case Tok::Integer: return "'" + std::to_string(token.integer) + "'";
    default: return "'" + token.text + "'";
    }
  }

  bool error(size_t pos, const std::string &message) {
    error_ = positionOf(source_, pos) + message;
    return false;
  }
  ExprPtr nullWithError(size_t pos, const std::string &message) {
    error(pos, message);
    return nullptr;
  }
  bool expected(const char *what) {
    return error(peek().pos, std::string("expected ") + what + ", found " + describe(peek()));
  }
  bool expect(Tok kind, const char *what) {
    if (peek().kind != kind)
      return expected(what);
    next();
    return true;
  }
  bool expectOperator(const char *op) {
    if (!isOperator(op))
      return expected((std::string("'") + op + "'").c_str());
    next();
    return true;
  }
  bool enter(size_t pos) {
    if (++depth_ <= kMaxNesting)
      return true;
    return error(pos, "nesting deeper than " + std::to_string(kMaxNesting) + " levels");
  }

  static ExprPtr make(Expr::Kind kind, size_t pos) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->pos = pos;
    return e;
  }
  static ExprPtr makeBinary(Expr::Kind kind, size_t pos, ExprPtr left, ExprPtr right) {
    ExprPtr e = make(kind, pos);
    e->operands.push_back(std::move(left));
    e->operands.push_back(std::move(right));
    return e;
  }

  /// Statements and text up to one of `terminators` ({% endfor %} ...),
  /// whose name is returned in `terminator`; with none, up to the end.
  bool parseBody(std::vector<Node> &body, const std::vector<const char *> &terminators,
                 std::string &terminator) {
    while (true) {
      const Token &token = peek();
      if (token.kind == Tok::End) {
        if (terminators.empty())
          return true;
        std::string names;
        for (const char *name : terminators)
          names += std::string(names.empty() ? "" : " or ") + "'{% " + name + " %}'";
        return error(token.pos, "unexpected end of template; expected " + names);
      }
      if (token.kind == Tok::Data) {
        Node node{Node::Kind::Text, token.pos};
        node.text = next().text;
        body.push_back(std::move(node));
        continue;
      }
      if (token.kind == Tok::OutputBegin) {
        Node node{Node::Kind::Output, next().pos};
        node.expr = parseExpression();
        if (!node.expr || !expect(Tok::OutputEnd, "'}}'"))
          return false;
        body.push_back(std::move(node));
        continue;
      }
      size_t pos = next().pos; // '{%'
      if (peek().kind != Tok::Name)
        return expected("a statement name after '{%'");
      std::string keyword = next().text;
      for (const char *name : terminators)
        if (keyword == name) {
          terminator = keyword;
          return true;
        }
      if (keyword == "set") {
        if (!parseSet(pos, body))
          return false;
      } else if (keyword == "for") {
        if (!parseFor(pos, body))
          return false;
      } else if (keyword == "if") {
        if (!parseIf(pos, body))
          return false;
      } else if (keyword == "endfor" || keyword == "endif" || keyword == "elif" ||
                 keyword == "else") {
        return error(pos, "unexpected '{% " + keyword + " %}'" +
                              (terminators.empty()
                                   ? std::string(", nothing is open")
                                   : std::string(", expected '{% ") + terminators.back() + " %}'"));
      } else {
        return error(pos, "unknown statement '" + keyword + "'");
      }
    }
  }

  bool parseSet(size_t pos, std::vector<Node> &body) {
    Node node{Node::Kind::Set, pos};
    if (peek().kind != Tok::Name)
      return expected("a variable name after 'set'");
    node.text = next().text;
    if (!expectOperator("="))
      return false;
    node.expr = parseExpression();
    if (!node.expr || !expect(Tok::StatementEnd, "'%}'"))
      return false;
    body.push_back(std::move(node));
    return true;
  }

  bool parseFor(size_t pos, std::vector<Node> &body) {
    Node node{Node::Kind::For, pos};
    if (peek().kind != Tok::Name)
      return expected("a variable name after 'for'");
    node.text = next().text;
    if (!isName("in"))
      return expected("'in'");
    next();
    node.expr = parseExpression();
    std::string terminator;
    if (!node.expr || !expect(Tok::StatementEnd, "'%}'") || !enter(pos) ||
        !parseBody(node.body, {"endfor"}, terminator) || !expect(Tok::StatementEnd, "'%}'"))
      return false;
    --depth_;
    body.push_back(std::move(node));
    return true;
  }

  bool parseIf(size_t pos, std::vector<Node> &body) {
    Node node{Node::Kind::If, pos};
    if (!enter(pos))
      return false;
    ExprPtr condition = parseExpression();
    while (true) {
      std::string terminator;
      std::vector<Node> branch;
      if (!condition || !expect(Tok::StatementEnd, "'%}'") ||
          !parseBody(branch, {"elif", "else", "endif"}, terminator))
        return false;
      node.branches.emplace_back(std::move(condition), std::move(branch));
      if (terminator == "elif") {
        condition = parseExpression();
        continue;
      }
      if (terminator == "else") {
        std::vector<Node> elseBranch;
        if (!expect(Tok::StatementEnd, "'%}'") || !parseBody(elseBranch, {"endif"}, terminator))
          return false;
        node.branches.emplace_back(nullptr, std::move(elseBranch));
      }
      if (!expect(Tok::StatementEnd, "'%}'"))
        return false;
      --depth_;
      body.push_back(std::move(node));
      return true;
    }
  }

  // Jinja's precedence, loosest first: or, and, not, comparisons, +, ~,
  // then filters and tests, which bind tighter than any operator.
  ExprPtr parseExpression() {
    if (!enter(peek().pos))
      return nullptr;
    ExprPtr e = parseOr();
    --depth_;
    return e;
  }

  ExprPtr parseOr() {
    ExprPtr left = parseAnd();
    while (left && isName("or")) {
      size_t pos = next().pos;
      ExprPtr right = parseAnd();
      if (!right)
        return nullptr;
      left = makeBinary(Expr::Kind::Or, pos, std::move(left), std::move(right));
    }
    return left;
  }

  ExprPtr parseAnd() {
    ExprPtr left = parseNot();
    while (left && isName("and")) {
      size_t pos = next().pos;
      ExprPtr right = parseNot();
      if (!right)
        return nullptr;
      left = makeBinary(Expr::Kind::And, pos, std::move(left), std::move(right));
    }
    return left;
  }

  ExprPtr parseNot() {
    if (!isName("not"))
      return parseCompare();
    size_t pos = next().pos;
    if (!enter(pos))
      return nullptr;
    ExprPtr operand = parseNot();
    --depth_;
    if (!operand)
      return nullptr;
    ExprPtr e = make(Expr::Kind::Not, pos);
    e->operands.push_back(std::move(operand));
    return e;
  }

  ExprPtr parseCompare() {
    ExprPtr first = parseAdd();
    if (!first)
      return nullptr;
    ExprPtr e = make(Expr::Kind::Compare, first->pos);
    e->operands.push_back(std::move(first));
    while (true) {
      std::string op;
      if (peek().kind == Tok::Operator &&
          (isOperator("==") || isOperator("!=") || isOperator("<") || isOperator(">") ||
           isOperator("<=") || isOperator(">="))) {
        op = next().text;
      } else if (isName("in")) {
        next();
        op = "in";
      } else if (isName("not") && isName("in", 1)) {
        next();
        next();
        op = "not in";
      } else {
        break;
      }
      ExprPtr right = parseAdd();
      if (!right)
        return nullptr;
      e->comparisons.push_back(op);
      e->operands.push_back(std::move(right));
    }
    return e->comparisons.empty() ? std::move(e->operands.front()) : std::move(e);
  }

  ExprPtr parseAdd() {
    ExprPtr left = parseConcat();
    while (left && isOperator("+")) {
      size_t pos = next().pos;
      ExprPtr right = parseConcat();
      if (!right)
        return nullptr;
      left = makeBinary(Expr::Kind::Add, pos, std::move(left), std::move(right));
    }
    return left;
  }

  ExprPtr parseConcat() {
    ExprPtr left = parseUnary(true);
    while (left && isOperator("~")) {
      size_t pos = next().pos;
      ExprPtr right = parseUnary(true);
      if (!right)
        return nullptr;
      left = makeBinary(Expr::Kind::Concat, pos, std::move(left), std::move(right));
    }
    return left;
  }

  /// A primary, or a negated unary expression, with its subscripts and
  /// calls, then (`withFilters`) its filters and tests: -x|f is (-x)|f.
  ExprPtr parseUnary(bool withFilters) {
    ExprPtr e;
    if (isOperator("-")) {
      e = make(Expr::Kind::Negate, next().pos);
      if (!enter(e->pos))
        return nullptr;
      ExprPtr operand = parseUnary(false);
      --depth_;
      if (!operand)
        return nullptr;
      e->operands.push_back(std::move(operand));
    } else {
      e = parsePrimary();
    }
    while (e) {
      if (isOperator(".")) {
        size_t pos = next().pos;
        if (peek().kind == Tok::Name) {
          ExprPtr attribute = make(Expr::Kind::Attribute, pos);
          attribute->name = next().text;
          attribute->operands.push_back(std::move(e));
          e = std::move(attribute);
        } else if (peek().kind == Tok::Integer) { // messages.0 is messages[0]
          ExprPtr index = make(Expr::Kind::Literal, peek().pos);
          index->literal = Value::fromInt(next().integer);
          e = makeBinary(Expr::Kind::Item, pos, std::move(e), std::move(index));
        } else {
          return nullWithError(peek().pos,
                               "expected an attribute name after '.', found " + describe(peek()));
        }
      } else if (isOperator("[")) {
        size_t pos = next().pos;
        ExprPtr index = parseExpression();
        if (!index || !expectOperator("]"))
          return nullptr;
        e = makeBinary(Expr::Kind::Item, pos, std::move(e), std::move(index));
      } else if (isOperator("(")) {
        e = parseCall(std::move(e));
      } else {
        break;
      }
    }
    while (e && withFilters) {
      if (isOperator("|")) {
        next();
        if (peek().kind != Tok::Name)
          return nullWithError(peek().pos,
                               "expected a filter name after '|', found " + describe(peek()));
        const Token &name = next();
        if (!isKnownFilter(name.text))
          return nullWithError(name.pos, "unknown filter '" + name.text + "'");
        if (isOperator("("))
          return nullWithError(peek().pos, "filter arguments are not supported");
        ExprPtr filter = make(Expr::Kind::Filter, name.pos);
        filter->name = name.text;
        filter->operands.push_back(std::move(e));
        e = std::move(filter);
      } else if (isName("is")) {
        next();
        ExprPtr test = make(Expr::Kind::Test, peek().pos);
        if (isName("not")) {
          next();
          test->negated = true;
        }
        if (peek().kind != Tok::Name)
          return nullWithError(peek().pos,
                               "expected a test name after 'is', found " + describe(peek()));
        const Token &name = next();
        if (!isKnownTest(name.text))
          return nullWithError(name.pos, "unknown test '" + name.text + "'");
        test->name = name.text;
        test->operands.push_back(std::move(e));
        e = std::move(test);
      } else {
        break;
      }
    }
    return e;
  }

  ExprPtr parseCall(ExprPtr callee) {
    size_t pos = next().pos; // '('
    if (callee->kind != Expr::Kind::Variable || callee->name != "raise_exception")
      return nullWithError(callee->pos, "only raise_exception() can be called");
    ExprPtr call = make(Expr::Kind::RaiseException, callee->pos);
    ExprPtr message = parseExpression();
    if (!message)
      return nullptr;
    call->operands.push_back(std::move(message));
    if (!isOperator(")"))
      return nullWithError(pos, "raise_exception() takes one argument, the message");
    next();
    return call;
  }

  ExprPtr parsePrimary() {
    const Token &token = peek();
    switch (token.kind) {
    case Tok::Name: {
      next();
      ExprPtr e = make(Expr::Kind::Literal, token.pos);
      if (token.text == "true" || token.text == "True") {
        e->literal = Value::fromBool(true);
      } else if (token.text == "false" || token.text == "False") {
        e->literal = Value::fromBool(false);
      } else if (token.text == "none" || token.text == "None") {
        e->literal = Value::none();
      } else {
        e->kind = Expr::Kind::Variable;
        e->name = token.text;
      }
      return e;
    }
    case Tok::String: {
      ExprPtr e = make(Expr::Kind::Literal, token.pos);
      std::string text;
      while (peek().kind == Tok::String) // 'a' 'b' is 'ab'
        text += next().text;
      e->literal = Value::fromString(std::move(text));
      return e;
    }
    case Tok::Integer: {
      ExprPtr e = make(Expr::Kind::Literal, token.pos);
      e->literal = Value::fromInt(next().integer);
      return e;
    }
    case Tok::Operator:
      if (token.text == "(") {
        next();
        ExprPtr e = parseExpression();
        if (!e || !expectOperator(")"))
          return nullptr;
        return e;
      }
      if (token.text == "[") {
        ExprPtr e = make(Expr::Kind::ListLiteral, next().pos);
        while (!isOperator("]")) {
          ExprPtr item = parseExpression();
          if (!item)
            return nullptr;
          e->operands.push_back(std::move(item));
          if (!isOperator(","))
            break;
          next();
        }
        if (!expectOperator("]"))
          return nullptr;
        return e;
      }
      break;
    default: break;
    }
    return nullWithError(token.pos, "expected an expression, found " + describe(token));
  }

  const std::vector<Token> &tokens_;
  const std::string &source_;
  size_t index_ = 0;
  int depth_ = 0;
  std::string error_;
};

//===--- Renderer ---------------------------------------------------------===//

class Renderer {
public:
  Renderer(const std::string &source, std::string &out) : source_(source), out_(out) {}

  void define(const std::string &name, Value value) { assign(name, std::move(value)); }

  bool renderBody(const std::vector<Node> &body) {
    for (const Node &node : body) {
      Value value;
      switch (node.kind) {
      case Node::Kind::Text: out_ += node.text; break;
      case Node::Kind::Output:
        if (!eval(*node.expr, value) || !appendText(value, node.expr->pos, out_))
          return false;
        break;
      case Node::Kind::Set:
        if (!eval(*node.expr, value))
          return false;
        assign(node.text, std::move(value));
        break;
      case Node::Kind::If:
        for (const auto &[condition, branch] : node.branches) {
          if (condition && !eval(*condition, value))
            return false;
          if (!condition || truthy(value)) {
            if (!renderBody(branch))
              return false;
            break;
          }
        }
        break;
      case Node::Kind::For:
        if (!eval(*node.expr, value) || !renderLoop(node, value))
          return false;
        break;
      }
    }
    return true;
  }

  std::string error;

private:
  bool fail(size_t pos, const std::string &message) {
    error = positionOf(source_, pos) + message;
    return false;
  }

  Value lookup(const std::string &name) const {
    for (auto scope = scopes_.rbegin(); scope != scopes_.rend(); ++scope)
      for (const auto &[key, value] : *scope)
        if (key == name)
          return value;
    return Value::undefined("'" + name + "' is undefined");
  }

  /// `set` writes to the innermost scope: each loop iteration has its own,
  /// so that, as in Jinja, nothing set inside a loop outlives the iteration.
  void assign(const std::string &name, Value value) {
    for (auto &[key, existing] : scopes_.back())
      if (key == name) {
        existing = std::move(value);
        return;
      }
    scopes_.back().emplace_back(name, std::move(value));
  }

  /// Python's str(value), appended to `out`.
  bool appendText(const Value &v, size_t pos, std::string &out) {
    switch (v.kind) {
    case Value::Kind::Undefined: return true;
    case Value::Kind::None: out += "None"; return true;
    case Value::Kind::Bool: out += v.boolean ? "True" : "False"; return true;
    case Value::Kind::Int: out += std::to_string(v.integer); return true;
    case Value::Kind::String: out += v.text; return true;
    default:
      return fail(pos, std::string("printing a ") + typeName(v) +
                           " is not supported (Python would print its repr)");
    }
  }

  /// The items a for loop visits: a list's elements, a string's
  /// characters, a mapping's keys, nothing for an undefined value.
  bool itemsOf(const Value &v, size_t pos, std::shared_ptr<const List> &items) {
    switch (v.kind) {
    case Value::Kind::List: items = v.list; return true;
    case Value::Kind::Undefined: items = std::make_shared<const List>(); return true;
    case Value::Kind::String: {
      List characters;
      for (std::string_view c : charactersOf(v.text))
        characters.push_back(Value::fromString(std::string(c)));
      items = std::make_shared<const List>(std::move(characters));
      return true;
    }
    case Value::Kind::Map: {
      List keys;
      for (const auto &member : *v.map)
        keys.push_back(Value::fromString(member.first));
      items = std::make_shared<const List>(std::move(keys));
      return true;
    }
    default: return fail(pos, std::string("'") + typeName(v) + "' object is not iterable");
    }
  }

  bool renderLoop(const Node &node, const Value &iterable) {
    std::shared_ptr<const List> items;
    if (!itemsOf(iterable, node.expr->pos, items))
      return false;
    auto length = static_cast<int64_t>(items->size());
    for (int64_t i = 0; i < length; ++i) {
      scopes_.emplace_back();
      assign(node.text, (*items)[i]);
      assign("loop", Value::fromMap({{"index0", Value::fromInt(i)},
                                     {"index", Value::fromInt(i + 1)},
                                     {"first", Value::fromBool(i == 0)},
                                     {"last", Value::fromBool(i == length - 1)},
                                     {"length", Value::fromInt(length)}}));
      bool ok = renderBody(node.body);
      scopes_.pop_back();
      if (!ok)
        return false;
    }
    return true;
  }

  /// obj.name, and obj[key] for a string key: a mapping's member.
  Value member(const Value &obj, const std::string &name) {
    if (obj.kind == Value::Kind::Map)
      if (const Value *found = findMember(*obj.map, name))
        return *found;
    return Value::undefined(std::string("'") + typeName(obj) + " object' has no attribute '" +
                            name + "'");
  }

  Value element(const Value &obj, const Value &index) {
    if (index.kind == Value::Kind::String)
      return member(obj, index.text);
    if (index.isNumber() && (obj.kind == Value::Kind::List || obj.kind == Value::Kind::String)) {
      std::vector<std::string_view> characters;
      if (obj.kind == Value::Kind::String)
        characters = charactersOf(obj.text);
      auto size = static_cast<int64_t>(obj.kind == Value::Kind::List ? obj.list->size()
                                                                     : characters.size());
      int64_t i = index.number() < 0 ? index.number() + size : index.number();
      if (i >= 0 && i < size)
        return obj.kind == Value::Kind::List ? (*obj.list)[i]
                                             : Value::fromString(std::string(characters[i]));
    }
    std::string shown;
    appendText(index, 0, shown);
    return Value::undefined(std::string("'") + typeName(obj) + " object' has no element " + shown);
  }

  bool add(const Value &a, const Value &b, size_t pos, Value &result) {
    for (const Value *v : {&a, &b})
      if (v->kind == Value::Kind::Undefined)
        return fail(pos, v->text);
    if (a.isNumber() && b.isNumber()) {
      int64_t sum;
      if (__builtin_add_overflow(a.number(), b.number(), &sum))
        return fail(pos, "integer overflow");
      result = Value::fromInt(sum);
    } else if (a.kind == Value::Kind::String && b.kind == Value::Kind::String) {
      result = Value::fromString(a.text + b.text);
    } else if (a.kind == Value::Kind::List && b.kind == Value::Kind::List) {
      List items = *a.list;
      items.insert(items.end(), b.list->begin(), b.list->end());
      result = Value::fromList(std::move(items));
    } else {
      return fail(pos, std::string("unsupported operand types for +: '") + typeName(a) + "' and '" +
                           typeName(b) + "'");
    }
    return true;
  }

  bool contains(const Value &container, const Value &item, size_t pos, bool &result) {
    switch (container.kind) {
    case Value::Kind::String:
      if (item.kind != Value::Kind::String)
        return fail(pos, std::string("'in <string>' requires a string as left operand, not ") +
                             typeName(item));
      result = container.text.find(item.text) != std::string::npos;
      return true;
    case Value::Kind::List:
      result = false;
      for (const Value &element : *container.list)
        result = result || equal(element, item);
      return true;
    case Value::Kind::Map:
      result = item.kind == Value::Kind::String && findMember(*container.map, item.text);
      return true;
    case Value::Kind::Undefined: result = false; return true;
    default:
      return fail(pos,
                  std::string("argument of type '") + typeName(container) + "' is not iterable");
    }
  }

  bool compare(const std::string &op, const Value &a, const Value &b, size_t pos, bool &result) {
    if (op == "==" || op == "!=") {
      result = equal(a, b) == (op == "==");
      return true;
    }
    if (op == "in" || op == "not in") {
      if (!contains(b, a, pos, result))
        return false;
      result = result == (op == "in");
      return true;
    }
    int order;
    if (a.isNumber() && b.isNumber())
      order = a.number() < b.number() ? -1 : a.number() > b.number() ? 1 : 0;
    else if (a.kind == Value::Kind::String && b.kind == Value::Kind::String)
      order = a.text.compare(b.text); // UTF-8 bytes order as code points do
    else
      return fail(pos, "'" + op + "' not supported between instances of '" + typeName(a) +
                           "' and '" + typeName(b) + "'");
    result = op == "<" ? order < 0 : op == ">" ? order > 0 : op == "<=" ? order <= 0 : order >= 0;
    return true;
  }

  bool applyFilter(const std::string &name, const Value &v, size_t pos, Value &result) {
    if (name == "length") {
      switch (v.kind) {
      case Value::Kind::String:
        result = Value::fromInt(static_cast<int64_t>(charactersOf(v.text).size()));
        return true;
      case Value::Kind::List:
        result = Value::fromInt(static_cast<int64_t>(v.list->size()));
        return true;
      case Value::Kind::Map:
        result = Value::fromInt(static_cast<int64_t>(v.map->size()));
        return true;
      case Value::Kind::Undefined: result = Value::fromInt(0); return true;
      default: return fail(pos, std::string("object of type '") + typeName(v) + "' has no len()");
      }
    }
    if (name == "first" || name == "last") {
      std::shared_ptr<const List> items;
      if (!itemsOf(v, pos, items))
        return false;
      if (items->empty())
        result = Value::undefined("No " + name + " item, sequence was empty.");
      else
        result = name == "first" ? items->front() : items->back();
      return true;
    }
    std::string text;
    if (!appendText(v, pos, text))
      return false;
    if (name == "trim") {
      result = Value::fromString(std::string(stripRight(stripLeft(text))));
      return true;
    }
    // lower, upper, capitalize: ASCII letters only (see ChatTemplate.h).
    for (size_t i = 0; i < text.size(); ++i) {
      bool toUpper = name == "upper" || (name == "capitalize" && i == 0);
      char c = text[i];
      if (toUpper && c >= 'a' && c <= 'z')
        text[i] = static_cast<char>(c - 'a' + 'A');
      else if (!toUpper && c >= 'A' && c <= 'Z')
        text[i] = static_cast<char>(c - 'A' + 'a');
    }
    result = Value::fromString(std::move(text));
    return true;
  }

  bool eval(const Expr &e, Value &result) {
    Value left, right;
    switch (e.kind) {
    case Expr::Kind::Literal: result = e.literal; return true;
    case Expr::Kind::Variable: result = lookup(e.name); return true;
    case Expr::Kind::Attribute:
    case Expr::Kind::Item:
      if (!eval(*e.operands[0], left))
        return false;
      if (left.kind == Value::Kind::Undefined)
        return fail(e.operands[0]->pos, left.text);
      if (e.kind == Expr::Kind::Attribute) {
        result = member(left, e.name);
        return true;
      }
      if (!eval(*e.operands[1], right))
        return false;
      result = element(left, right);
      return true;
    case Expr::Kind::ListLiteral: {
      List items(e.operands.size());
      for (size_t i = 0; i < items.size(); ++i)
        if (!eval(*e.operands[i], items[i]))
          return false;
      result = Value::fromList(std::move(items));
      return true;
    }
    case Expr::Kind::Negate:
      if (!eval(*e.operands[0], left))
        return false;
      if (!left.isNumber() || left.number() == INT64_MIN)
        return fail(e.pos, std::string("bad operand type for unary -: '") + typeName(left) + "'");
      result = Value::fromInt(-left.number());
      return true;
    case Expr::Kind::Not:
      if (!eval(*e.operands[0], left))
        return false;
      result = Value::fromBool(!truthy(left));
      return true;
    case Expr::Kind::And:
    case Expr::Kind::Or: // Python's: the operand that decided, not a bool
      if (!eval(*e.operands[0], result))
        return false;
      if (truthy(result) == (e.kind == Expr::Kind::Or))
        return true;
      return eval(*e.operands[1], result);
    case Expr::Kind::Add:
      return eval(*e.operands[0], left) && eval(*e.operands[1], right) &&
             add(left, right, e.pos, result);
    case Expr::Kind::Concat: {
      std::string text;
      if (!eval(*e.operands[0], left) || !appendText(left, e.operands[0]->pos, text) ||
          !eval(*e.operands[1], right) || !appendText(right, e.operands[1]->pos, text))
        return false;
      result = Value::fromString(std::move(text));
      return true;
    }
    case Expr::Kind::Compare: {
      // a < b < c is a < b and b < c, each operand evaluated once.
      if (!eval(*e.operands[0], left))
        return false;
      bool holds = true;
      for (size_t i = 0; holds && i < e.comparisons.size(); ++i) {
        if (!eval(*e.operands[i + 1], right) ||
            !compare(e.comparisons[i], left, right, e.operands[i + 1]->pos, holds))
          return false;
        left = std::move(right);
      }
      result = Value::fromBool(holds);
      return true;
    }
    case Expr::Kind::Filter:
      return eval(*e.operands[0], left) && applyFilter(e.name, left, e.pos, result);
    case Expr::Kind::Test: {
      if (!eval(*e.operands[0], left))
        return false;
      bool holds = e.name == "defined"     ? left.kind != Value::Kind::Undefined
                   : e.name == "undefined" ? left.kind == Value::Kind::Undefined
                   : e.name == "none"      ? left.kind == Value::Kind::None
                                           : left.kind == Value::Kind::String;
      result = Value::fromBool(holds != e.negated);
      return true;
    }
    case Expr::Kind::RaiseException: {
      std::string message;
      if (!eval(*e.operands[0], left) || !appendText(left, e.operands[0]->pos, message))
        return false;
      error = message; // the template's own words, as transformers reports them
      return false;
    }
    }
    return fail(e.pos, "unknown expression");
  }

  const std::string &source_;
  std::string &out_;
  std::vector<std::vector<std::pair<std::string, Value>>> scopes_{1};
};

} // namespace

struct ChatTemplate::Program {
  std::string source; // with newlines normalized, for error positions
  std::vector<Node> body;
};

ChatTemplate::ChatTemplate() = default;
ChatTemplate::ChatTemplate(ChatTemplate &&other) noexcept = default;
ChatTemplate &ChatTemplate::operator=(ChatTemplate &&other) noexcept = default;
ChatTemplate::~ChatTemplate() = default;

bool ChatTemplate::parse(const std::string &source, ChatTemplate &out, std::string &error) {
  // As Jinja's lexer: every newline sequence becomes "\n", and one at the
  // very end is dropped (keep_trailing_newline is off).
  auto program = std::make_unique<Program>();
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] != '\r') {
      program->source += source[i];
      continue;
    }
    program->source += '\n';
    if (i + 1 < source.size() && source[i + 1] == '\n')
      ++i;
  }
  if (!program->source.empty() && program->source.back() == '\n')
    program->source.pop_back();
  std::vector<Token> tokens;
  if (!Lexer(program->source).run(tokens, error) ||
      !Parser(tokens, program->source).parseTemplate(program->body, error))
    return false;
  out.program_ = std::move(program);
  return true;
}

bool ChatTemplate::render(const std::vector<ChatMessage> &messages, bool addGenerationPrompt,
                          const std::string &bosToken, const std::string &eosToken,
                          std::string &out, std::string &error) const {
  out.clear();
  if (!program_) {
    error = "the chat template has not been parsed";
    return false;
  }
  List list;
  for (const ChatMessage &message : messages)
    list.push_back(Value::fromMap({{"role", Value::fromString(message.role)},
                                   {"content", Value::fromString(message.content)}}));
  Renderer renderer(program_->source, out);
  renderer.define("messages", Value::fromList(std::move(list)));
  renderer.define("add_generation_prompt", Value::fromBool(addGenerationPrompt));
  renderer.define("bos_token", Value::fromString(bosToken));
  renderer.define("eos_token", Value::fromString(eosToken));
  if (!renderer.renderBody(program_->body)) {
    error = renderer.error;
    out.clear();
    return false;
  }
  return true;
}

} // namespace tern::rt
