/// What to run: the program, its arguments and its whole environment (nothing is inherited).
public struct ProcessSpec: Sendable, Hashable {
    /// How the child's standard input is connected.
    public enum Input: Sendable, Hashable {
        /// `/dev/null`: dump tools read nothing.
        case null
        /// A pipe the parent writes with `RunningProcess.writeInput`: restore tools read the backup.
        case pipe
    }

    /// Program (looked up on the environment's `PATH` unless it contains a `/`) and arguments.
    /// Never put a secret here: argv is visible to every user in `ps`.
    public var argv: [String]
    /// The child's complete environment.
    public var environment: [String: String]
    /// The child's standard input.
    public var input: Input
    /// Whether the child's standard output is read through `readOutput` (else `/dev/null`).
    public var captureOutput: Bool
    /// Descriptors the child inherits, as its 3, 4, … in order (secrets it opens as
    /// `/proc/self/fd/N`, see `SecretDirectory`); every other descriptor is closed.
    public var inheritedFiles: [Int32]

    /// Describes a child process.
    public init(
        argv: [String], environment: [String: String], input: Input = .null, captureOutput: Bool = true, inheritedFiles: [Int32] = []
    ) {
        self.argv = argv
        self.environment = environment
        self.input = input
        self.captureOutput = captureOutput
        self.inheritedFiles = inheritedFiles
    }
}
