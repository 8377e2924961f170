/// `verify`'s format check of a PITR job's base backup: the `pg_basebackup` tar stream read with
/// `BaseBackupInspector` (tar structure, `global/pg_control`, `backup_label`, the WAL range).
final class BaseBackupCheck: FormatCheck {
    let name = "pg_basebackup tar (tar headers, backup_label, backup_manifest WAL range)"
    private let inspector = BaseBackupInspector()

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        inspector.write(bytes)
    }

    func finish() -> String? {
        inspector.finish(tool: "the stored base backup")?.replacingOccurrences(of: "the stored base backup exited 0 but ", with: "")
    }
}
