import LifeboatCore

/// The loader under test, with the real CLI's action specs.
let probe = DocumentProbe(loader: DocumentLoader(actions: FuzzSpecs.load()))

/// One libFuzzer input: traps (a crash libFuzzer reports and saves) when a rejection lacks a
/// usable `file:line:col`.
func fuzzDocument(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    let broken = probe.violations(bytes)
    if !broken.isEmpty {
        fatalError("a document rejection without a usable file:line:col:\n" + broken.joined(separator: "\n"))
    }
    return 0
}
