import BackupCore
import ConfigKit
import Foundation

/// Redis: `redis-cli --rdb -` streams the server's RDB snapshot; the password through
/// `REDISCLI_AUTH`. An RDB is restored by placing it as the server's dump file, so a restore
/// writes it to a path the user names.
public struct RedisDriver: EngineDriver {
    /// How to reach the server.
    public let connection: RedisConnection

    /// Creates the driver for a connection.
    public init(connection: RedisConnection) {
        self.connection = connection
    }

    static let package = "redis-cli (Debian: redis-tools)"
    static let classifier = FailureClassifier(
        refused: ["connection refused", "could not connect", "name or service not known", "connection reset"],
        authentication: ["wrongpass", "noauth", "invalid password", "invalid username-password", "authentication required", "auth failed"],
        missingDatabase: [])

    var target: String { "\(connection.host):\(connection.port)" }

    func arguments() -> [String] {
        var arguments = ["redis-cli", "-h", connection.host, "-p", String(connection.port), "--no-auth-warning"]
        if let user = connection.username { arguments += ["--user", user] }
        return arguments
    }

    func environment(_ context: EngineContext) -> [String: String] {
        var environment = context.baseEnvironment
        if let password = connection.password { environment["REDISCLI_AUTH"] = password.value }
        return environment
    }

    public func preflight(_ context: EngineContext) throws -> String {
        try preflightVersions(context).tool
    }

    public func preflightVersions(_ context: EngineContext) throws -> (tool: String, server: String?) {
        let job = context.job.name
        _ = try context.require("redis-cli", package: Self.package)
        let toolRun = try context.capture(["redis-cli", "--version"], environment: context.baseEnvironment)
        let toolVersion = VersionNumber.parse(Substring(toolRun.output)).map(String.init).joined(separator: ".")
        let info = try context.capture(arguments() + ["INFO", "server"], environment: environment(context))
        // redis-cli exits 0 after printing an error reply: look at the reply too.
        let reply = info.output.lowercased()
        if !info.exit.succeeded || !reply.contains("redis_version:") {
            let text = info.errors + "\n" + info.output
            throw failure(tool: "redis-cli", exit: info.exit, stderr: text, job: job)
        }
        let line = info.output.split(whereSeparator: \.isNewline).first { $0.hasPrefix("redis_version:") } ?? ""
        let server = String(line.dropFirst("redis_version:".count)).trimmingCharacters(in: .whitespacesAndNewlines)
        if VersionNumber.older(VersionNumber.parse(Substring(toolVersion)), than: VersionNumber.parse(Substring(server)), depth: 1) {
            throw EngineError.toolTooOld(job: job, tool: "redis-cli", toolVersion: toolVersion, serverVersion: server)
        }
        return (toolVersion, server)
    }

    public func dumpSteps(_ context: EngineContext, compressed: Bool) throws -> [DumpStep] {
        [DumpStep(tool: "redis-cli", argv: arguments() + ["--rdb", "-"], environment: environment(context), suffix: ".rdb", check: .redisRDB)]
    }

    public func restoreAction(key: String, options: RestoreOptions, context: EngineContext) throws -> RestoreAction {
        guard let path = options.target else {
            throw EngineError.restoreTargetRequired(
                job: context.job.name,
                hint: "a Redis backup is restored by placing its RDB file as the server's dump file: give --to /path/dump.rdb, stop redis-server, move the file to its \"dir\"/\"dbfilename\" (appendonly no) and start it")
        }
        return .file(path: path)
    }

    public func classify(tool: String, exit: ProcessExit, stderr: String, job: String) -> EngineError? {
        Self.classifier.classify(
            job: job, tool: tool, stderr: stderr, target: target, user: connection.username ?? "default", database: "")
    }
}
