//===- File.cpp -----------------------------------------------------------===//
#include "runtime/src/File.h"
#include "runtime/src/Error.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tern::rt {

bool readFile(const std::string &path, std::string &contents) {
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return fail("cannot read " + path + ": " + std::strerror(errno));
  contents.clear();
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0)
    contents.append(buffer, n);
  bool error = std::ferror(f) != 0;
  std::fclose(f);
  if (error)
    return fail("cannot read " + path + ": I/O error");
  return true;
}

std::string joinPath(const std::string &dir, const std::string &name) {
  if (dir.empty() || dir.back() == '/')
    return dir + name;
  return dir + "/" + name;
}

std::string hex64(unsigned long long value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", value);
  return text;
}

} // namespace tern::rt
