//===- Utf8.h - UTF-8 decoding and repair -----------------------*- C++ -*-===//
#ifndef TERN_RUNTIME_UTF8_H
#define TERN_RUNTIME_UTF8_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tern::rt {

/// Length of the well-formed UTF-8 sequence at s[i] (1 to 4), or 0 if there
/// is none; `cp` receives its code point. Well-formed is Unicode's table 3-7:
/// no overlong forms, no surrogates, nothing above U+10FFFF.
size_t utf8SequenceAt(std::string_view s, size_t i, uint32_t &cp);
void appendUtf8(std::string &s, uint32_t cp);
bool isValidUtf8(std::string_view s);

/// `bytes` with every maximal invalid subsequence replaced by U+FFFD, the
/// rule of the WHATWG decoder (TextDecoder) and of Python's
/// errors="replace". Valid UTF-8 comes back unchanged.
std::string toValidUtf8(std::string_view bytes);

} // namespace tern::rt

#endif // TERN_RUNTIME_UTF8_H
