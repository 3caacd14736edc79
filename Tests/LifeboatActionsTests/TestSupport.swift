import Foundation
import LifeboatCore
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fresh temporary folder, removed with `remove()`.
struct TempDir: Sendable {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "lifeboat-actions-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ text: String, executable: Bool = false) throws {
        try text.write(toFile: file(name), atomically: true, encoding: .utf8)
        if executable { chmod(file(name), 0o755) }
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A request for step `s1` of run `r1`.
func request(
    _ params: [String: Value], step: String = "s1", base: String = "/tmp", masker: SecretMasker = .none
) -> ActionContext {
    ActionContext(runID: "r1", stepID: step, mode: .execute, params: params, masker: masker, baseDirectory: base)
}

/// Runs `body` and returns the `LifeboatError` it throws (recording an issue if it throws nothing else).
func lifeboatError(
    sourceLocation: Testing.SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> LifeboatError? {
    do {
        try await body()
        Issue.record("expected a LifeboatError, nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as LifeboatError {
        return error
    } catch {
        Issue.record("expected a LifeboatError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Whether `pid` is a live process (a zombie counts as dead).
func isAlive(_ pid: pid_t) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return true }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}

/// Polls `condition` every 20 ms for up to `seconds`.
func eventually(seconds: Double = 5, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

/// A TCP port on 127.0.0.1 that nothing listens on (bound, read, closed).
func unusedPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
