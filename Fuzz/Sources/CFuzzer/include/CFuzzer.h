#ifndef LIFEBOAT_CFUZZER_H
#define LIFEBOAT_CFUZZER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt, linked by -sanitize=fuzzer). SwiftPM links executables with
/// their own `main`, so each fuzz target's main.swift hands its argv and test function to it.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
