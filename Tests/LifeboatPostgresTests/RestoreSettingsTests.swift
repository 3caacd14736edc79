@testable import LifeboatActions
import LifeboatCore
import Testing

@Suite("postgres.restore: extra server settings")
struct RestoreSettingsTests {
    private func parameters(_ settings: Value) throws -> RestoreParameters {
        try RestoreParameters(request([
            "base_backup": .string("/srv/base"), "data_dir": .string("/srv/restored"), "port": .int(15432),
            "settings": settings,
        ], step: "restore"))
    }

    @Test func acceptsSettingsSortedAndQuotedLater() throws {
        let p = try parameters(.map([
            "unix_socket_directories": .string("/tmp/sock dir"), "listen_addresses": .string("127.0.0.4"),
        ]))
        #expect(p.settings.map(\.name) == ["listen_addresses", "unix_socket_directories"])
        #expect(p.settings.map(\.value) == ["127.0.0.4", "/tmp/sock dir"])
    }

    @Test(arguments: [
        ("port", "may not set port"),
        ("recovery_target_time", "may not set recovery_target_time"),
        ("Listen; x", "is not a server setting name"),
    ])
    func refusesManagedOrMalformedNames(name: String, message: String) {
        #expect {
            try parameters(.map([name: .string("x")]))
        } throws: { error in
            "\(error)".contains(message) && "\(error)".hasPrefix("parameter 'settings'")
        }
    }

    @Test func refusesMultiLineValues() {
        #expect(throws: LifeboatError.self) {
            try parameters(.map(["listen_addresses": .string("127.0.0.4'\nrestore_command = 'rm -rf /")]))
        }
    }
}
