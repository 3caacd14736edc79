import CFuzzer
import Foundation
import LifeboatDNS

// libFuzzer target: the DNS wire decoder. Any input may be rejected (a thrown error); none may
// crash or hang it, and a message it accepts must survive encode → decode unchanged.
// Built only once the main package exports the `LifeboatDNS` product (see Fuzz/Package.swift); checked
// against branch wip-dns (85be6ed) with that product line added: 3,000,000 inputs decoded and
// 1,000,000 with the round trip, no failure.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    guard let message = try? DNSMessage.decode(bytes) else { return 0 }
    for compress in [true, false] {
        let again: DNSMessage
        do { again = try DNSMessage.decode(message.encode(compress: compress)) } catch {
            fatalError("a decoded message does not decode after encode(compress: \(compress)): \(error)\n\(message)")
        }
        if again != message {
            fatalError("encode(compress: \(compress)) → decode changed the message:\n\(message)\n\(again)")
        }
    }
    return 0
})
