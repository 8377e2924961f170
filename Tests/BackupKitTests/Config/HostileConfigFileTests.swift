import Foundation
import Glibc
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// The loader with the live sources on real files: FIFOs, devices and huge files are problems that
/// name the path and what it is, found without blocking.
@Suite(.ownThreads)
struct HostileConfigFileTests {
    /// Loads `path` with the live sources on another thread, failing if that takes over 5 s.
    func loadProblems(_ path: String, environment: [String: String] = [:]) throws -> [ConfigProblem] {
        var sources = ConfigSources.live
        sources.environment = environment
        let captured = sources
        return try withinDeadline { () -> [ConfigProblem] in
            do throws(ConfigError) {
                _ = try BackupConfig.load(path: path, sources: captured)
                return []
            } catch {
                return error.problems
            }
        }
    }

    /// A config path that is a FIFO, /dev/zero, a link to it, a directory or a 20 MiB file is one problem naming it.
    @Test func configFileMustBeASmallRegularFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fifo = directory.path + "/fifo.json"
        #expect(mkfifo(fifo, 0o600) == 0)
        let link = directory.path + "/zero.json"
        #expect(symlink("/dev/zero", link) == 0)
        let huge = directory.path + "/huge.json"
        #expect(FileManager.default.createFile(atPath: huge, contents: nil))
        #expect(truncate(huge, 20 << 20) == 0)
        let cases: [(String, String)] = [
            (fifo, "the config file \(fifo) is a FIFO, not a regular file"),
            ("/dev/zero", "the config file /dev/zero is a character device, not a regular file"),
            (link, "the config file \(link) is a character device (/dev/zero), not a regular file"),
            (directory.path, "the config file \(directory.path) is a directory, not a regular file"),
            (huge, "the config file \(huge) is larger than 16 MiB"),
        ]
        for (path, fragment) in cases {
            let found = try loadProblems(path)
            #expect(found.count == 1)
            #expect(found.first?.file == path)
            #expect(found.first?.message.contains(fragment) == true, "\(found.map(\.description))")
        }
    }

    /// A `{"file": ...}` secret that is a FIFO, a link to /dev/zero or over 64 KiB is an error at its JSON path.
    @Test func secretFileMustBeASmallRegularFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fifo = directory.path + "/fifo-secret"
        #expect(mkfifo(fifo, 0o600) == 0)
        let link = directory.path + "/zero-secret"
        #expect(symlink("/dev/zero", link) == 0)
        let big = directory.path + "/big-secret"
        #expect(FileManager.default.createFile(atPath: big, contents: Data(repeating: 0x41, count: 64 * 1024 + 1)))
        let exact = directory.path + "/exact-secret"
        #expect(FileManager.default.createFile(atPath: exact, contents: Data(repeating: 0x41, count: 64 * 1024)))
        chmod(exact, 0o600)
        let cases: [(String, String?)] = [
            (fifo, "secret file \(fifo) is a FIFO, not a regular file"),
            (link, "secret file \(link) is a character device (/dev/zero), not a regular file"),
            (big, "secret file \(big) is larger than 64 KiB"),
            (exact, nil),
        ]
        for (secretPath, fragment) in cases {
            let configPath = directory.path + "/config.json"
            let text = configText { editDestination(&$0) { $0["secretAccessKey"] = ["file": secretPath] } }
            #expect(FileManager.default.createFile(atPath: configPath, contents: Data(text.utf8)))
            chmod(configPath, 0o600)
            let found = try loadProblems(configPath).filter { $0.severity == .error }
            guard let fragment else {
                #expect(found.isEmpty, "\(found.map(\.description))")
                continue
            }
            let problem = try #require(found.first, "no problem for \(secretPath)")
            #expect(problem.path == "destinations[\"local\"].secretAccessKey.file")
            #expect(problem.message.contains(fragment), "\(problem.message)")
            #expect(problem.position != nil)
        }
    }

    /// A caFile that is a FIFO is refused at validation (curl would block reading it later).
    @Test func caFileMustBeARegularFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fifo = directory.path + "/ca.pem"
        #expect(mkfifo(fifo, 0o600) == 0)
        let configPath = directory.path + "/config.json"
        let text = configText { editDestination(&$0) { $0["caFile"] = fifo } }
        #expect(FileManager.default.createFile(atPath: configPath, contents: Data(text.utf8)))
        chmod(configPath, 0o600)
        let found = try loadProblems(configPath).filter { $0.severity == .error }
        #expect(found.map(\.path) == ["destinations[\"local\"].caFile"])
        #expect(found.first?.message.contains("\"\(fifo)\" is a FIFO, not a regular file; give a readable PEM file") == true, "\(found.map(\.description))")
    }

    /// `validate --no-secrets`, `history` and `status` (scope `.none`) load a config whose secret file is a FIFO, at once.
    @Test func noneScopeNeverOpensSecretFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fifo = directory.path + "/fifo-secret"
        #expect(mkfifo(fifo, 0o600) == 0)
        let configPath = directory.path + "/config.json"
        let text = configText { editDestination(&$0) { $0["secretAccessKey"] = ["file": fifo] } }
        #expect(FileManager.default.createFile(atPath: configPath, contents: Data(text.utf8)))
        chmod(configPath, 0o600)
        let loaded = try withinDeadline { () -> Bool in
            guard let config = try? BackupConfig.load(path: configPath, sources: .live, secrets: .none).config else { return false }
            return config.destinations.first?.secretAccessKey.isResolved == false
        }
        #expect(loaded)
    }
}
