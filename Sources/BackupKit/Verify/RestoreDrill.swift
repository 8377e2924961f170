import BackupCore
import BackupEngines
import ConfigKit
import Foundation
import Logging

/// A restore drill: restores a backup into a scratch database that it creates (refusing a name
/// that exists), checks that the restore succeeded and left tables, counts tables and rows, and
/// drops the scratch database again. PostgreSQL and MySQL/MariaDB.
public struct RestoreDrill: Sendable {
    /// Restores the backup (and its digest check).
    public let restorer: Restorer
    /// The source of time.
    public let clock: any WallClock

    /// Creates a drill.
    public init(restorer: Restorer, clock: any WallClock) {
        self.restorer = restorer
        self.clock = clock
    }

    /// The scratch database admin for `job`'s engine; throws `DrillError` for other engines or a bad name.
    func database(for job: JobConfig, scratch: String, context: EngineContext) throws -> any ScratchDatabase {
        guard Self.isValidName(scratch) else { throw DrillError.invalidName(scratch) }
        switch (job.engine, job.connection) {
        case (.postgres, .sql(let connection)):
            return PostgresScratch(driver: PostgresDriver(connection: connection), context: context, name: scratch)
        case (.mysql, .sql(let connection)):
            return MySQLScratch(driver: MySQLDriver(connection: connection), context: context, name: scratch)
        default:
            throw DrillError.unsupportedEngine(job: job.name, engine: job.engine.rawValue)
        }
    }

    /// Runs the drill on `entry`'s main object (decrypted with the age `identity` file when it is
    /// encrypted). Throws `DrillError` when it cannot start (wrong engine, the name exists, the
    /// database cannot be created); a failed restore is the result's `error`.
    public func run(_ entry: CatalogEntry, job: JobConfig, config: BackupConfig, scratch: String, identity: String? = nil, logger: Logger) async throws -> DrillResult {
        guard let manifest = entry.manifest, entry.isUsable, let object = manifest.primary else {
            throw DrillError.incomplete(backupID: entry.id)
        }
        let secrets = try SecretDirectory(parent: restorer.secretsParent)
        defer { secrets.remove() }
        let context = EngineContext(
            job: job, secrets: secrets, launcher: restorer.launcher, baseEnvironment: EngineContext.baseEnvironment(from: restorer.environment))
        let database = try self.database(for: job, scratch: scratch, context: context)
        if try database.exists() { throw DrillError.exists(scratch) }
        do {
            try database.create()
        } catch {
            // A role without CREATEDB (PostgreSQL) or CREATE (MySQL) cannot drill: a failed
            // drill with its reason, recorded with the verification, not an unrecorded throw.
            logger.warning("cannot create the scratch database", metadata: ["drill.database": "\(scratch)", "error": "\(error)"])
            return DrillResult(
                database: scratch, tables: 0, rows: 0, seconds: 0, dropped: true,
                error: "cannot create the scratch database: \(error); \(database.createHint)")
        }
        var log = logger
        log[metadataKey: "drill.database"] = "\(scratch)"
        let started = clock.now()
        var result = DrillResult(database: scratch, tables: 0, rows: 0, seconds: 0, dropped: false, error: nil)
        do {
            let store = try restorer.openStore(job: job, config: config)
            _ = try await restorer.restore(
                object, compression: Compression(rawValue: manifest.compression) ?? .none, job: job, store: store,
                options: RestoreOptions(target: scratch), identity: identity, logger: log)
            let counts = try database.counts()
            result.tables = counts.tables
            result.rows = counts.rows
            if counts.tables == 0 { result.error = "the restore succeeded but \(scratch) holds no tables" }
        } catch EngineError.toolMissing(_, let tool, _, _) {
            result.notRun = "\(tool) not installed"
        } catch {
            result.error = "\(error)"
        }
        result.seconds = clock.now().timeIntervalSince(started)
        do {
            try database.drop()
            result.dropped = true
        } catch {
            log.warning("cannot drop the scratch database", metadata: ["error": "\(error)"])
            result.error = (result.error.map { $0 + "; " } ?? "") + "dropping \(scratch) failed: \(error)"
        }
        log.info("restore drill finished", metadata: ["drill.tables": "\(result.tables)", "drill.rows": "\(result.rows)"])
        return result
    }

    /// Letters, digits and `_`, starting with a letter, at most 63 characters (safe to quote in SQL).
    static func isValidName(_ name: String) -> Bool { VerifySettings.isValidScratchName(name) }
}

/// Why a restore drill could not run.
public enum DrillError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The scratch name is not a plain identifier.
    case invalidName(String)
    /// A database with that name exists; the drill never touches it.
    case exists(String)
    /// Drills exist for PostgreSQL and MySQL/MariaDB only.
    case unsupportedEngine(job: String, engine: String)
    /// The backup is not usable.
    case incomplete(backupID: String)
    /// An administrative statement failed.
    case statement(database: String, tool: String, detail: String)

    public var description: String {
        switch self {
        case .invalidName(let name):
            return "\"\(name)\" is not a valid scratch database name; use letters, digits and '_' (starting with a letter, at most 63)"
        case .exists(let name):
            return "a database named \(name) already exists; a restore drill only uses a new scratch database: choose another name"
        case .unsupportedEngine(let job, let engine):
            return "job \(job): restore drills are for postgres and mysql jobs, not \(engine); use `backupd verify \(job)` without --restore-to"
        case .incomplete(let id):
            return "backup \(id) is incomplete (no manifest); it cannot be drilled"
        case .statement(let database, let tool, let detail):
            return "\(tool) failed on scratch database \(database): \(detail)"
        }
    }
}

/// Creates, inspects and drops one scratch database.
protocol ScratchDatabase: Sendable {
    /// What the job's role needs to create the scratch database, for the message when it cannot.
    var createHint: String { get }
    func exists() throws -> Bool
    func create() throws
    func counts() throws -> (tables: Int, rows: Int64)
    func drop() throws
}
