import CLibPQ
import Dispatch
import LifeboatCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A notification from `NOTIFY channel, 'payload'` (or `pg_notify`) on a channel the connection
/// listens to (`LISTEN channel`).
public struct PGNotification: Sendable, Hashable {
    public var channel: String
    public var payload: String
    /// The server process that sent it.
    public var senderPID: Int32
}

extension PGConnection {
    /// The notifications that arrived for this connection's `LISTEN`s, waiting up to `timeout` for
    /// the first: empty after the timeout, or at once when the task is cancelled (a pipe wakes the
    /// wait). The server delivers a notification when the sending transaction commits; notifications
    /// that arrive between calls wait in the socket for the next one, so none is lost.
    public func notifications(within timeout: Duration) async throws(PGError) -> [PGNotification] {
        guard isOpen else { throw PGError.closed(target: target).masked(masker) }
        var wake: [Int32] = [-1, -1]
        guard pipe(&wake) == 0 else { throw PGError.unsupported(target: target, "cannot wait for notifications: no pipe") }
        defer { wake.forEach(closeDescriptor) }
        let milliseconds = Int32(clamping: max(0, timeout.milliseconds))
        let (reader, writer) = (wake[0], wake[1])
        let outcome: Result<[PGNotification], PGError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                queue.async { [self] in continuation.resume(returning: waitBlocking(milliseconds, wake: reader)) }
            }
        } onCancel: {
            var byte: UInt8 = 1
            _ = write(writer, &byte, 1)
        }
        if case .failure(let error) = outcome, error.kind == .connection { markUnusable() }
        return try outcome.mapError { $0.masked(masker) }.get()
    }

    /// Runs on `queue`: takes what libpq has, else polls the socket (and the wake pipe) once.
    private func waitBlocking(_ milliseconds: Int32, wake: Int32) -> Result<[PGNotification], PGError> {
        guard let conn = handle else { return .failure(PGError.closed(target: target)) }
        func take() -> Result<[PGNotification], PGError> {
            guard PQconsumeInput(conn) == 1 else {
                return .failure(PGError.connectionLost(libpqMessage: String(cString: PQerrorMessage(conn)), target: target))
            }
            var found: [PGNotification] = []
            while let note = PQnotifies(conn) {
                found.append(PGNotification(
                    channel: String(cString: note.pointee.relname), payload: String(cString: note.pointee.extra),
                    senderPID: note.pointee.be_pid))
                PQfreemem(note)
            }
            return .success(found)
        }
        let first = take()
        guard case .success(let found) = first, found.isEmpty else { return first }
        var fds = [pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
        if poll(&fds, 2, milliseconds) > 0, fds[0].revents != 0 { return take() }
        return .success([])
    }
}

/// `close(2)` (inside `PGConnection` the name is its own method).
private func closeDescriptor(_ fd: Int32) { _ = close(fd) }
