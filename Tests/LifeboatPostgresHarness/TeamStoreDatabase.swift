import Foundation

/// A name no other test uses: for databases, tables and `application_name`s.
public func uniqueName(_ prefix: String) -> String {
    prefix + "_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
}

/// A team store of a test's own: a new empty database on the shared cluster's primary, owned by the
/// `lifeboat` role (who connects by password); Lifeboat applies its schema on the first connection.
public struct TeamStoreDatabase: Sendable {
    public let conninfo: String
    public let cluster: PostgresCluster
    public let name: String

    public static func fresh() async throws -> TeamStoreDatabase {
        let cluster = try await PostgresCluster.shared()
        let name = uniqueName("store")
        try await cluster.admin(cluster.primary, "CREATE DATABASE \(name) OWNER lifeboat", database: "postgres")
        return TeamStoreDatabase(
            conninfo: cluster.primary.conninfo(password: cluster.primary.password, database: name), cluster: cluster, name: name)
    }
}
