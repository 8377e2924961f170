import Foundation

/// The database and S3 servers `scripts/test.sh` starts for the integration tests, read from the
/// `BACKUPD_TEST_*` environment. A missing server is an error (the test fails), never a skip.
enum TestServers {
    /// The PostgreSQL server (`BACKUPD_TEST_PG_HOST`, `_PORT`, `_USER`, `_PASSWORD`).
    static func postgres() throws -> PostgresTestServer {
        let env = try TestEnvironment(server: "PostgreSQL", script: "postgres.sh", prefix: "BACKUPD_TEST_PG_")
        return PostgresTestServer(
            host: try env.string("HOST"), port: try env.port("PORT"),
            user: try env.string("USER"), password: try env.string("PASSWORD"))
    }

    /// The MariaDB server (`BACKUPD_TEST_MYSQL_HOST`, `_PORT`, `_USER`, `_PASSWORD`).
    static func mariadb() throws -> MariaDBTestServer {
        let env = try TestEnvironment(server: "MariaDB", script: "mariadb.sh", prefix: "BACKUPD_TEST_MYSQL_")
        return MariaDBTestServer(
            host: try env.string("HOST"), port: try env.port("PORT"),
            user: try env.string("USER"), password: try env.string("PASSWORD"))
    }

    /// The Redis server (`BACKUPD_TEST_REDIS_HOST`, `_PORT`, `_PASSWORD`).
    static func redis() throws -> RedisTestServer {
        let env = try TestEnvironment(server: "Redis", script: "redis.sh", prefix: "BACKUPD_TEST_REDIS_")
        return RedisTestServer(host: try env.string("HOST"), port: try env.port("PORT"), password: try env.string("PASSWORD"))
    }

    // The S3 server (radosgw) is `TestS3.environment()`, with its bucket, client and AWS CLI helpers.

    /// A name no other test (in this run or an earlier one against the same server) uses:
    /// `PREFIX_` and 12 random hex digits, lower case, valid unquoted in SQL.
    static func uniqueName(_ prefix: String = "t") -> String {
        let random = (0..<6).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        return "\(prefix)_\(random)"
    }
}

/// Reads one server's `BACKUPD_TEST_<KIND>_*` variables, naming what is missing and how to fix it.
private struct TestEnvironment {
    let server: String
    let script: String
    let prefix: String
    let variables: [String: String]

    init(server: String, script: String, prefix: String) throws {
        self.server = server
        self.script = script
        self.prefix = prefix
        self.variables = ProcessInfo.processInfo.environment
    }

    func string(_ name: String) throws -> String {
        guard let value = variables[prefix + name], !value.isEmpty else {
            throw TestServerError.notConfigured(server: server, variable: prefix + name, script: script)
        }
        return value
    }

    func port(_ name: String) throws -> Int {
        let text = try string(name)
        guard let port = Int(text), (1...65535).contains(port) else {
            throw TestServerError.invalidValue(server: server, variable: prefix + name, value: text)
        }
        return port
    }
}
