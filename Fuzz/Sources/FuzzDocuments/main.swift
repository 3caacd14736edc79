import CFuzzer
import Foundation

// libFuzzer target: plan/runbook documents. A crash is a rejection without a usable
// `file:line:col` (or any trap in the loader); libFuzzer saves the input that caused it.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzDocument(data, size) })
