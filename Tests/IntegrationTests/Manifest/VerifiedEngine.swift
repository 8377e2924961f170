import Foundation
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// The engines whose backups `verify` checks against their own test servers.
enum VerifiedEngine: String, CaseIterable, Sendable, CustomStringConvertible {
    case postgres, mysql, redis, command

    var description: String { rawValue }

    /// The compression layer the job's backups use, as verification names it.
    var layer: String { self == .redis ? "gzip CRC" : "zstd frame checksum" }

    /// A job of this engine backing up a fresh database on its test server (Redis: the server's
    /// RDB, gzip-compressed), and what drops that database again.
    func pipeline(destination: TestDestination) throws -> (Pipeline, cleanUp: () -> Void) {
        switch self {
        case .postgres:
            let server = try TestServers.postgres()
            let database = try server.createDatabase(prefix: "vff")
            let pipeline = try postgresPipeline(server, database: database, destination: destination, name: "bad-pg-\(database)")
            return (pipeline, { try? server.dropDatabase(database) })
        case .mysql:
            let server = try TestServers.mariadb()
            let database = try server.createDatabase(prefix: "vff")
            let pipeline = try mariadbPipeline(server, database: database, destination: destination, name: "bad-my-\(database)")
            return (pipeline, { try? server.dropDatabase(database) })
        case .redis:
            let redis = try TestServers.redis()
            let pipeline = try Pipeline(destination: destination, name: "bad-redis-\(TestServers.uniqueName())", job: [
                "engine": "redis", "compression": "gzip", "connection": ["host": redis.host, "port": redis.port, "password": redis.password],
            ])
            return (pipeline, {})
        case .command:
            let pipeline = try Pipeline(destination: destination, name: "bad-\(TestServers.uniqueName())", job: [
                "engine": "command", "connection": ["argv": ["head", "-c", "2000000", "/dev/urandom"], "extension": "bin"],
            ])
            return (pipeline, {})
        }
    }
}
