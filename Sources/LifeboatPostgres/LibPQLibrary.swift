import CLibPQ
import LifeboatCore

/// libpq itself, loaded on first use rather than at process start (see `CLibPQ`).
/// `PGConnection.connect` and `Conninfo.parse` load it; every other libpq call works on what they
/// returned, so it is loaded by then.
enum LibPQLibrary {
    /// What to tell the user when libpq cannot be loaded.
    static let hint = "install libpq 14 or later, PostgreSQL's client library: apt install libpq5 on Debian and Ubuntu"

    /// Nil once libpq is loaded; else why it cannot be (the same answer every time).
    static func loadFailure() -> String? {
        lifeboat_libpq_load().map { "cannot load libpq, PostgreSQL's client library: \(String(cString: $0))" }
    }
}
