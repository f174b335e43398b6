//===- Error.h - per-thread error message of the runtime --------*- C++ -*-===//
#ifndef TERN_RUNTIME_ERROR_H
#define TERN_RUNTIME_ERROR_H

#include <string>

namespace tern::rt {

/// Records `message` as this thread's last error and returns false, so that
/// callers can write `return fail("...")`.
bool fail(std::string message);
const std::string &lastError();
void clearError();

} // namespace tern::rt

#endif // TERN_RUNTIME_ERROR_H
