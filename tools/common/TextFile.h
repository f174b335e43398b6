//===- TextFile.h - write a whole text file, or say why not -----*- C++ -*-===//
#ifndef TERN_TOOLS_COMMON_TEXTFILE_H
#define TERN_TOOLS_COMMON_TEXTFILE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace tern {

/// Writes `text` to `path`, replacing it; the error names the file.
inline llvm::Error writeTextFile(const std::string &path, llvm::StringRef text) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return llvm::createStringError("cannot write " + path + ": " + ec.message());
  os << text;
  return llvm::Error::success();
}

} // namespace tern

#endif // TERN_TOOLS_COMMON_TEXTFILE_H
