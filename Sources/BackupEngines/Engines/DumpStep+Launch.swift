import BackupCore

extension DumpStep {
    /// Starts the step's command, chained with its `then` commands when it has any, as one process
    /// whose standard output is the object's stream.
    public func launch(with launcher: any ProcessLauncher) throws -> any RunningProcess {
        let first = try launcher.launch(ProcessSpec(argv: argv, environment: environment, inheritedFiles: inheritedFiles))
        guard !then.isEmpty else { return first }
        return ChainedProcess(
            first: first, rest: then.map { ProcessSpec(argv: $0, environment: environment, inheritedFiles: inheritedFiles) }, launcher: launcher)
    }
}
