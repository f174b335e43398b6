/* A shared library that is not a Tern kernel: the loader tests use it to
 * reach the checks that come after the checksum. */
int tern_test_symbol(void) { return 42; }
