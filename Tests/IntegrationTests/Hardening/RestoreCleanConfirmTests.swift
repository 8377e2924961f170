import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// `restore --clean` into the job's own database needs `--yes`.
@Suite("restore --clean confirmation", .ownThreads)
struct RestoreCleanConfirmTests {
    /// Without --to (or with --to naming the job's own database) --clean is refused at once with
    /// exit 64 and a message naming --yes, before any connection; with --yes, or into another
    /// database, the command goes on (and fails later at the unresolvable bucket host, exit 1).
    @Test func cleanIntoOwnDatabaseNeedsYes() throws {
        // An unresolvable bucket host: a restore that gets past the check fails at once.
        let fixture = try ReadOnlyCommandTests.Fixture(destination: [
            "name": "test", "endpoint": "https://backupd-no-such-host.invalid", "region": "us-east-1", "bucket": "readonly",
            "accessKeyId": "AKID", "secretAccessKey": "literal-Secret-2"])
        defer { fixture.remove() }
        let environment = ["PATH": "/usr/bin:/bin", ReadOnlyCommandTests.Fixture.unsetVariable: "pw"]
        for arguments in [["restore", "app", "--clean"], ["restore", "app", "--clean", "--to", "app"]] {
            let refused = try fixture.run(arguments, environment: environment)
            #expect(refused.status == 64, "\(arguments): \(refused.stderr)")
            #expect(refused.stderr.contains("job app's own database (app)") && refused.stderr.contains("add --yes"), "\(refused.stderr)")
        }
        for arguments in [["restore", "app", "--clean", "--yes"], ["restore", "app", "--clean", "--to", "scratch"], ["restore", "app"]] {
            let proceeded = try fixture.run(arguments, environment: environment)
            #expect(proceeded.status == 1, "\(arguments): \(proceeded.stderr)")
            #expect(!proceeded.stderr.contains("add --yes"), "\(arguments): \(proceeded.stderr)")
        }
    }
}
