//===- File.h - reading artifact files --------------------------*- C++ -*-===//
#ifndef TERN_RUNTIME_FILE_H
#define TERN_RUNTIME_FILE_H

#include <string>

namespace tern::rt {

/// Reads the whole file; on failure records "cannot read PATH: reason".
bool readFile(const std::string &path, std::string &contents);
std::string joinPath(const std::string &dir, const std::string &name);
/// "0123456789abcdef" for a checksum.
std::string hex64(unsigned long long value);

} // namespace tern::rt

#endif // TERN_RUNTIME_FILE_H
