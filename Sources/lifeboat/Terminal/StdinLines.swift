import Foundation
import Synchronization

/// Lines from standard input, read on a dedicated thread so that waiting for a person never
/// blocks the cooperative pool, and so that a waiter can be cancelled (another terminal approved).
final class StdinLines: Sendable {
    static let shared = StdinLines()

    private struct Buffer {
        var lines: [String] = []
        var ended = false
        var started = false
    }

    private let buffer = Mutex(Buffer())
    private let waiters = CancellableWaiters<String?>()

    /// The next line (without its newline), or nil at end of input or when cancelled.
    func next() async -> String? {
        startReaderIfNeeded()
        return await waiters.wait(cancelledValue: nil) { [self] in
            self.buffer.withLock { b -> String?? in
                if !b.lines.isEmpty { return .some(b.lines.removeFirst()) }
                if b.ended { return .some(nil) }
                return nil
            }
        }
    }

    /// Drops the lines read but not yet taken (typed before a question was asked).
    func discardBuffered() {
        buffer.withLock { $0.lines.removeAll() }
    }

    private func startReaderIfNeeded() {
        let start = buffer.withLock { b -> Bool in
            defer { b.started = true }
            return !b.started
        }
        guard start else { return }
        let thread = Thread { [self] in
            while true {
                let line = readLine(strippingNewline: true)
                buffer.withLock { b in
                    if let line { b.lines.append(line) } else { b.ended = true }
                }
                waiters.resumeOne {
                    self.buffer.withLock { b -> String?? in
                        if !b.lines.isEmpty { return .some(b.lines.removeFirst()) }
                        return b.ended ? .some(nil) : nil
                    }
                }
                if line == nil {
                    waiters.resumeAll(with: nil)
                    return
                }
            }
        }
        thread.start()
    }
}
