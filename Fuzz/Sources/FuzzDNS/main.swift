import CFuzzer
import Foundation
import LifeboatDNS

// libFuzzer target: the DNS wire decoder. Any input may be rejected (a thrown error); none may
// crash or hang it. Built only once the main package exports the `LifeboatDNS` product (see
// Fuzz/Package.swift).
// TODO(dns merge): adapt the call if the decoder's entry point is named differently.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    do { _ = try DNSMessage.decode(bytes) } catch {}
    return 0
})
