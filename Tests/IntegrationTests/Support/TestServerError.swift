import Foundation

/// Why a test could not use a test server, with what to do about it.
enum TestServerError: Error, CustomStringConvertible {
    /// A `BACKUPD_TEST_*` variable is unset: the suite was not started through scripts/test.sh.
    case notConfigured(server: String, variable: String, script: String)
    /// A `BACKUPD_TEST_*` variable holds something unusable (a port that is not a number).
    case invalidValue(server: String, variable: String, value: String)
    /// A client tool (psql, mariadb, redis-cli) is not installed.
    case toolMissing(tool: String)
    /// A client tool exited non-zero; `stderr` is its error output.
    case toolFailed(tool: String, arguments: [String], status: Int32, stderr: String)
    /// Every Redis database number of the test server is taken.
    case outOfRedisDatabases(count: Int)

    var description: String {
        switch self {
        case .notConfigured(let server, let variable, let script):
            return "\(server) test server not configured: \(variable) is not set. Run the tests with "
                + "scripts/test.sh, which starts every server they need, or start this one yourself with "
                + "`eval \"$(scripts/testenv/\(script) start DIR)\"` before `swift test`."
        case .invalidValue(let server, let variable, let value):
            return "\(server) test server: \(variable)=\"\(value)\" is not a valid value; "
                + "use the exports printed by scripts/testenv."
        case .toolMissing(let tool):
            return "\(tool) is not installed or not on PATH; run scripts/install-deps.sh."
        case .toolFailed(let tool, let arguments, let status, let stderr):
            return "\(tool) \(arguments.joined(separator: " ")) exited with status \(status): "
                + stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        case .outOfRedisDatabases(let count):
            return "all \(count) databases of the Redis test server are in use; raise `databases` in scripts/testenv/redis.sh."
        }
    }
}
