import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Whether a real mongod (and the database tools) are installed: only then the real round trip runs.
let mongodAvailable: Bool = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    let launcher = PosixProcessLauncher()
    return ["mongod", "mongodump", "mongorestore"].allSatisfy { launcher.locate($0, path: path) != nil }
}()

/// Stand-ins for mongodump and mongorestore that behave like the real tools at their interface:
/// `--archive` on stdout/stdin, `--uri`, `--config` YAML with the password, non-zero exit and an
/// error on stderr for an unreachable URI or a wrong password.
private let fakeMongodump = #"""
#!/bin/sh
uri=""; config=""; archive=no
for arg in "$@"; do
  case "$arg" in
    --version) echo "mongodump version: 100.9.4"; echo "git version: fake"; exit 0 ;;
    --uri=*) uri="${arg#--uri=}" ;;
    --config=*) config="${arg#--config=}" ;;
    --archive) archive=yes ;;
    *) echo "error parsing command line options: unknown option $arg" >&2; exit 3 ;;
  esac
done
[ "$archive" = yes ] || { echo "fake: --archive expected" >&2; exit 3; }
case "$uri" in
  *unreachable*) echo "$(date -u +%FT%T) Failed: can't create session: failed to connect to $uri: server selection error: context deadline exceeded, current topology: { Type: Unknown, Servers: [{ Addr: unreachable:27017, Type: Unknown, Last error: dial tcp: lookup unreachable: no such host }, ] }" >&2; exit 1 ;;
esac
password=$(sed -n 's/^password: "\(.*\)"$/\1/p' "$config" 2>/dev/null | sed 's/\\"/"/g')
[ "$password" = "$FAKE_MONGO_PASSWORD" ] || { echo "Failed: can't create session: connection() error occurred during connection handshake: auth error: sasl conversation error: unable to authenticate using mechanism \"SCRAM-SHA-256\": (AuthenticationFailed) Authentication failed." >&2; exit 1; }
# The archive magic (0x8199e26d, little-endian) that backupd checks before calling it a backup.
printf '\155\342\231\201FAKEARCHIVE\n'
head -c 3000000 "$FAKE_MONGO_DATA"
echo "writing app.people to archive on stdout" >&2
"""#

private let fakeMongorestore = #"""
#!/bin/sh
config=""; drop=no
for arg in "$@"; do
  case "$arg" in
    --uri=*) ;;
    --config=*) config="${arg#--config=}" ;;
    --archive) ;;
    --drop) drop=yes ;;
    *) echo "unknown option $arg" >&2; exit 3 ;;
  esac
done
password=$(sed -n 's/^password: "\(.*\)"$/\1/p' "$config" 2>/dev/null | sed 's/\\"/"/g')
[ "$password" = "$FAKE_MONGO_PASSWORD" ] || { echo "Failed: auth error: (AuthenticationFailed) Authentication failed." >&2; exit 1; }
cat > "$FAKE_MONGO_OUT"
echo "drop=$drop" > "$FAKE_MONGO_OUT.flags"
"""#

@Suite("MongoDB", .ownThreads)
struct MongoTests {
    /// Writes the stand-ins into a directory put first on PATH; returns it and the environment.
    private func standIns() throws -> (directory: String, environment: [String: String]) {
        let directory = FileManager.default.temporaryDirectory.path + "/backupd-mongo-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/bin", withIntermediateDirectories: true)
        for (name, script) in [("mongodump", fakeMongodump), ("mongorestore", fakeMongorestore)] {
            let path = directory + "/bin/" + name
            try Data(script.utf8).write(to: URL(fileURLWithPath: path))
            chmod(path, 0o755)
        }
        let data = randomData(3_000_000)
        try data.write(to: URL(fileURLWithPath: directory + "/data"))
        var environment = Pipeline.defaultEnvironment
        environment["PATH"] = directory + "/bin:" + (environment["PATH"] ?? "")
        environment["FAKE_MONGO_PASSWORD"] = "m0ngo \"pw\""
        environment["FAKE_MONGO_DATA"] = directory + "/data"
        environment["FAKE_MONGO_OUT"] = directory + "/restored"
        return (directory, environment)
    }

    /// The runner passes the password only in the --config file (the stand-in checks it), streams
    /// the archive, and a restore pipes it back into mongorestore byte for byte, with --drop on --clean.
    @Test func standInRoundTrip() async throws {
        let (directory, environment) = try standIns()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let destination = try await TestDestination.make()
        // Tools get only PATH, HOME, TMPDIR, TZ and the locale from backupd: the stand-ins' own
        // settings are added by the launcher.
        var pipeline = try Pipeline(destination: destination, name: "mongo-\(TestServers.uniqueName())", job: [
            "engine": "mongodb", "connection": ["uri": "mongodb://backup@db.example:27017/app?authSource=admin", "password": "m0ngo \"pw\""],
        ], launcher: EnvironmentAddingLauncher(extra: environment.filter { $0.key.hasPrefix("FAKE_MONGO_") }))
        pipeline.environment = environment
        let outcome = await pipeline.backup()
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        #expect(outcome.objectKey?.hasSuffix(".archive.zst") == true)
        let key = try #require(outcome.objectKey)
        await #expect(try destination.store.head(key: key)?.metadata["tool-version"] == "100.9.4")
        _ = try await pipeline.restore(options: RestoreOptions(clean: true))
        let restored = try Data(contentsOf: URL(fileURLWithPath: directory + "/restored"))
        let original = try Data(contentsOf: URL(fileURLWithPath: directory + "/data"))
        #expect(restored == Data(DumpCheck.mongoMagic) + Data("FAKEARCHIVE\n".utf8) + original)
        #expect(try String(contentsOfFile: directory + "/restored.flags", encoding: .utf8) == "drop=yes\n")
    }

    /// A wrong password and an unreachable server give clear errors and store nothing.
    @Test(arguments: [
        ("mongodb://backup@db.example:27017/app", "wrong", "job mongo-err: the server rejected user backup"),
        ("mongodb://backup@unreachable:27017/app", "m0ngo \"pw\"", "job mongo-err: cannot connect to unreachable:27017:"),
    ])
    func standInErrors(uri: String, password: String, expected: String) async throws {
        let (directory, environment) = try standIns()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let destination = try await TestDestination.make()
        var pipeline = try Pipeline(destination: destination, name: "mongo-err", job: [
            "engine": "mongodb", "connection": ["uri": uri, "password": password],
        ], launcher: EnvironmentAddingLauncher(extra: environment.filter { $0.key.hasPrefix("FAKE_MONGO_") }))
        pipeline.environment = environment
        let outcome = await pipeline.backup()
        #expect(outcome.status == .failed)
        #expect(outcome.error?.hasPrefix(expected) == true, "\(outcome.error ?? "")")
        #expect(outcome.error?.contains("m0ngo") == false)
        await #expect(try destination.isEmpty(prefix: ""))
    }

    /// The real round trip needs mongod, which is not packaged for this machine: skipped (visibly)
    /// without it. With it: a throw-away mongod, a backup, and a restore with --drop that the real
    /// mongorestore accepts. (No mongo shell is assumed, so the data is what mongod creates itself.)
    @Test(.enabled(if: mongodAvailable, "mongod, mongodump and mongorestore are not on PATH; the stand-in tests cover the runner"))
    func realRoundTrip() async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/backupd-mongod-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = Int.random(in: 20_000...60_000)
        let mongod = try PosixProcessLauncher().launch(ProcessSpec(
            argv: ["mongod", "--dbpath", directory, "--port", String(port), "--bind_ip", "127.0.0.1"],
            environment: Pipeline.defaultEnvironment, captureOutput: false))
        defer {
            mongod.kill()
            _ = mongod.wait()
        }
        let destination = try await TestDestination.make()
        let pipeline = try Pipeline(destination: destination, name: "mongo-real", job: [
            "engine": "mongodb", "connection": ["uri": "mongodb://127.0.0.1:\(port)/"],
        ])
        var outcome = await pipeline.backup()
        for _ in 0..<30 where outcome.status != .succeeded {
            try? await Task.sleep(for: .seconds(1))
            outcome = await pipeline.backup()
        }
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        let result = try await pipeline.restore(options: RestoreOptions(clean: true))
        #expect(result.bytesRestored == outcome.bytesRead)
    }
}

/// Adds variables to every child's environment (the stand-ins' settings, which backupd's minimal
/// tool environment would otherwise drop).
struct EnvironmentAddingLauncher: ProcessLauncher {
    let extra: [String: String]
    let base = PosixProcessLauncher()

    func launch(_ spec: ProcessSpec) throws -> any RunningProcess {
        var spec = spec
        spec.environment.merge(extra) { _, new in new }
        return try base.launch(spec)
    }

    func locate(_ program: String, path: String) -> String? { base.locate(program, path: path) }
}
