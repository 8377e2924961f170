import Foundation
import Synchronization

/// The Redis test server, protected by `requirepass`, reached over TCP.
struct RedisTestServer: Sendable {
    let host: String
    let port: Int
    let password: String

    /// How many numbered databases scripts/testenv/redis.sh configures.
    static let databaseCount = 64
    private static let nextDatabase = Atomic<Int>(1)

    /// The environment that gives redis-cli the password (never argv).
    var clientEnvironment: [String: String] { ["REDISCLI_AUTH": password] }

    /// A numbered database (1...63) no other test in this process uses; 0 is left for ad-hoc use.
    func allocateDatabase() throws -> Int {
        let number = Self.nextDatabase.wrappingAdd(1, ordering: .relaxed).oldValue
        guard number < Self.databaseCount else { throw TestServerError.outOfRedisDatabases(count: Self.databaseCount) }
        return number
    }

    /// Runs one redis-cli command against `database` and returns its raw output.
    func redisCLI(_ command: [String], database: Int = 0) throws -> String {
        try ClientTool(name: "redis-cli").run(
            ["--no-auth-warning", "-h", host, "-p", String(port), "-n", String(database)] + command,
            environment: clientEnvironment)
    }
}
