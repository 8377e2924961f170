/// A valid manifest for prune tests that write backups by name: one dump object with a made-up
/// digest, so the manifest catalog sees the backup as complete.
enum TestManifest {
    /// The manifest body for `manifestKey` (`{prefix}/{job}-{stamp}-{token}.manifest.json`).
    static func json(for manifestKey: String) -> String {
        let name = manifestKey.split(separator: "/").last.map(String.init) ?? manifestKey
        let id = String(name.dropLast(".manifest.json".count))
        let dump = String(manifestKey.dropLast(".manifest.json".count)) + ".dump.zst"
        return """
            {"formatVersion": 1, "backupId": "\(id)", "job": "app", "engine": "command", "host": "test",
             "startedAt": "2026-01-01T00:00:00Z", "endedAt": "2026-01-01T00:00:01Z",
             "tool": {"name": "true", "version": "1"}, "backupd": {"name": "backupd", "version": "test"},
             "compression": "zstd", "destination": "d", "bucket": "b", "copies": [],
             "objects": [{"role": "dump", "key": "\(dump)", "tool": "true", "size": 1,
                          "sha256": "\(String(repeating: "0", count: 64))", "partSize": 0, "partCount": 1, "etag": ""}]}
            """
    }
}
