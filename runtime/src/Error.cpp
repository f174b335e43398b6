//===- Error.cpp ----------------------------------------------------------===//
#include "runtime/src/Error.h"

namespace tern::rt {

static thread_local std::string tlsError;

bool fail(std::string message) {
  tlsError = std::move(message);
  return false;
}
const std::string &lastError() { return tlsError; }
void clearError() { tlsError.clear(); }

} // namespace tern::rt
