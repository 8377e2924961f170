import BackupCore
import ConfigKit
import Foundation

/// MongoDB: `mongodump --archive` to standard output, `mongorestore --archive` from standard
/// input; the password through a 0600 `--config` YAML file, never in the URI on the command line.
public struct MongoDriver: EngineDriver {
    /// How to reach the server.
    public let connection: MongoConnection

    /// Creates the driver for a connection.
    public init(connection: MongoConnection) {
        self.connection = connection
    }

    static let package = "the MongoDB Database Tools (mongodb-database-tools)"
    static let classifier = FailureClassifier(
        refused: ["connection refused", "server selection error", "no reachable servers", "context deadline exceeded", "no such host"],
        authentication: ["authentication failed", "auth error", "unable to authenticate"],
        missingDatabase: [])

    var target: String { Self.hosts(of: connection.uri) }

    /// The host part of a URI, for messages (the URI never holds a password: the config rejects it).
    static func hosts(of uri: String) -> String {
        let rest = uri.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false).dropFirst(2).first ?? Substring(uri)
        return String(rest.split(separator: "@").last ?? rest)
    }

    func configArguments(_ context: EngineContext) throws -> [String] {
        guard let password = connection.password else { return [] }
        let escaped = password.value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        let file = try context.secrets.write("mongo.yaml", contents: "password: \"\(escaped)\"\n")
        return ["--config=\(file)"]
    }

    /// The Database Tools are versioned apart from the server (100.x serves 4.x to 8.x), so the
    /// "older than the server" check is the tools' own: they refuse servers they do not support.
    public func preflight(_ context: EngineContext) throws -> String {
        _ = try context.require("mongodump", package: Self.package)
        let run = try context.capture(["mongodump", "--version"], environment: context.baseEnvironment)
        let first = run.output.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let version = first.range(of: "version: ").map { String(first[$0.upperBound...]) } ?? first
        return version.trimmingCharacters(in: .whitespaces)
    }

    public func dumpSteps(_ context: EngineContext, compressed: Bool) throws -> [DumpStep] {
        let argv = ["mongodump", "--archive", "--uri=\(connection.uri)"] + (try configArguments(context))
        return [DumpStep(tool: "mongodump", argv: argv, environment: context.baseEnvironment, suffix: ".archive", check: .mongoArchive)]
    }

    public func restoreAction(key: String, options: RestoreOptions, context: EngineContext) throws -> RestoreAction {
        _ = try context.require("mongorestore", package: Self.package)
        let uri = options.target ?? connection.uri
        var argv = ["mongorestore", "--archive", "--uri=\(uri)"] + (try configArguments(context))
        if options.clean { argv.append("--drop") }
        if let jobs = options.tool.jobs { argv.append("--numParallelCollections=\(jobs)") }
        return .process(tool: "mongorestore", argv: argv, environment: context.baseEnvironment)
    }

    public func classify(tool: String, exit: ProcessExit, stderr: String, job: String) -> EngineError? {
        let user = connection.uri.split(separator: "@").count > 1
            ? String(Self.userPart(connection.uri)) : "(from the URI)"
        return Self.classifier.classify(job: job, tool: tool, stderr: stderr, target: target, user: user, database: "")
    }

    static func userPart(_ uri: String) -> Substring {
        let rest = uri.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false).dropFirst(2).first ?? Substring(uri)
        return rest.split(separator: "@").first ?? rest
    }
}
