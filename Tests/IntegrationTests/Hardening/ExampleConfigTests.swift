import Foundation
import Testing
import TestThreads

/// The shipped config.example.json, checked by the real binary.
@Suite("config.example.json", .ownThreads)
struct ExampleConfigTests {
    static var example: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("config.example.json").path
    }

    /// With --no-secrets the example validates (exit 0); without, in an environment that sets
    /// none of its variables, each missing secret is named and `validate` explains that the rest
    /// of the file is valid (exit 1); with every variable set it validates (exit 0).
    @Test func exampleValidatesOrExplains() throws {
        let form = try runBackupd(["validate", "--no-secrets", "--config", Self.example], environment: ["PATH": "/usr/bin:/bin"], timeout: 30)
        #expect(form.status == 0, "\(form.stderr)")
        let bare = try runBackupd(["validate", "--config", Self.example], environment: ["PATH": "/usr/bin:/bin"], timeout: 30)
        #expect(bare.status == 1)
        #expect(bare.stderr.contains("APP_PG_PASSWORD is not set") && bare.stderr.contains("apart from these secrets the file is valid"), "\(bare.stderr)")
        var environment = ["PATH": "/usr/bin:/bin"]
        for name in ["SPACES_SECRET_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "APP_PG_PASSWORD", "SHOP_DB_PASSWORD",
                     "EVENTS_MONGO_PASSWORD", "REDIS_PASSWORD"] { environment[name] = "example-value" }
        let full = try runBackupd(["validate", "--config", Self.example], environment: environment, timeout: 30)
        #expect(full.status == 0, "\(full.stderr)")
    }
}
