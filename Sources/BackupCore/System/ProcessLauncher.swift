/// Starts child processes: the seam through which the dump pipeline runs the engines' tools.
///
/// The live implementation is `PosixProcessLauncher`; tests pass a fake that scripts output.
public protocol ProcessLauncher: Sendable {
    /// Starts `spec` and returns the running child. Throws `ProcessError` when it cannot start
    /// (e.g. the program is not on `PATH`).
    func launch(_ spec: ProcessSpec) throws -> any RunningProcess

    /// The absolute path `program` resolves to with `path` (a `PATH`-style list), or nil.
    func locate(_ program: String, path: String) -> String?
}
