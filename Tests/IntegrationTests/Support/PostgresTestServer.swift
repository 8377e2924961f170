import Foundation

/// The PostgreSQL test server: a superuser with a password, reached over TCP.
struct PostgresTestServer: Sendable {
    let host: String
    let port: Int
    let user: String
    let password: String

    /// The environment that gives libpq's tools the password (never argv).
    var clientEnvironment: [String: String] {
        ["PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10", "PGSSLMODE": "disable"]
    }

    /// Creates an empty database with a name no other test uses and returns that name.
    func createDatabase(prefix: String = "t") throws -> String {
        let name = TestServers.uniqueName(prefix)
        _ = try psql("CREATE DATABASE \(name)", database: "postgres")
        return name
    }

    /// Drops a database made by `createDatabase`, closing any connections still open to it.
    func dropDatabase(_ name: String) throws {
        _ = try psql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", database: "postgres")
    }

    /// Runs SQL with psql (stopping at the first error) and returns the unaligned, tuples-only output.
    func psql(_ sql: String, database: String) throws -> String {
        try ClientTool(name: "psql", extraDirectories: Self.serverBinDirectories).run(
            ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
             "-h", host, "-p", String(port), "-U", user, "-d", database, "-f", "-"],
            environment: clientEnvironment, input: sql)
    }

    /// /usr/lib/postgresql/*/bin, where Debian keeps the versioned client tools.
    static var serverBinDirectories: [String] {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.sorted { $0.compare($1, options: .numeric) == .orderedDescending }.map { "\(root)/\($0)/bin" }
    }
}
