//===- Utf8.cpp -----------------------------------------------------------===//
#include "runtime/src/Utf8.h"

namespace tern::rt {

namespace {

/// The number of continuation bytes a lead byte announces and the range the
/// first of them must fall in (narrower after E0, ED, F0 and F4); false for
/// bytes that cannot start a sequence.
bool leadByte(unsigned char lead, size_t &continuations, unsigned char &low, unsigned char &high) {
  low = 0x80;
  high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    continuations = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    continuations = 2;
    low = lead == 0xE0 ? 0xA0 : 0x80;
    high = lead == 0xED ? 0x9F : 0xBF;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    continuations = 3;
    low = lead == 0xF0 ? 0x90 : 0x80;
    high = lead == 0xF4 ? 0x8F : 0xBF;
  } else {
    return false;
  }
  return true;
}

/// How many bytes from s[i] (the lead byte included) begin a well-formed
/// sequence; at most `continuations` + 1.
size_t wellFormedPrefix(std::string_view s, size_t i, size_t continuations, unsigned char low,
                        unsigned char high) {
  size_t k = 1;
  while (k <= continuations && i + k < s.size()) {
    auto byte = static_cast<unsigned char>(s[i + k]);
    if (byte < low || byte > high)
      break;
    low = 0x80;
    high = 0xBF;
    ++k;
  }
  return k;
}

} // namespace

size_t utf8SequenceAt(std::string_view s, size_t i, uint32_t &cp) {
  auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0x80) {
    cp = lead;
    return 1;
  }
  size_t continuations;
  unsigned char low, high;
  if (!leadByte(lead, continuations, low, high) ||
      wellFormedPrefix(s, i, continuations, low, high) != continuations + 1)
    return 0;
  cp = lead & (0x7F >> (continuations + 1));
  for (size_t k = 1; k <= continuations; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return continuations + 1;
}

void appendUtf8(std::string &s, uint32_t cp) {
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool isValidUtf8(std::string_view s) {
  uint32_t cp;
  for (size_t i = 0; i < s.size();) {
    size_t n = utf8SequenceAt(s, i, cp);
    if (n == 0)
      return false;
    i += n;
  }
  return true;
}

std::string toValidUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  uint32_t cp;
  for (size_t i = 0; i < bytes.size();) {
    size_t n = utf8SequenceAt(bytes, i, cp);
    if (n > 0) {
      out.append(bytes.substr(i, n));
      i += n;
      continue;
    }
    out += "\xEF\xBF\xBD"; // U+FFFD for the maximal subpart at i
    size_t continuations;
    unsigned char low, high;
    i += leadByte(static_cast<unsigned char>(bytes[i]), continuations, low, high)
             ? wellFormedPrefix(bytes, i, continuations, low, high)
             : 1;
  }
  return out;
}

} // namespace tern::rt
