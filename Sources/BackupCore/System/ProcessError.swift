import Glibc

/// Why a child process could not be started or talked to.
public enum ProcessError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The program is not on `PATH` (or the path given does not exist or is not executable).
    case notFound(program: String, path: String)
    /// A system call failed while starting it.
    case spawnFailed(program: String, call: String, errno: Int32)
    /// Reading its output or writing its input failed.
    case io(program: String, call: String, errno: Int32)
    /// It closed its standard input before it was given all of the data.
    case inputClosed(program: String)

    public var description: String {
        switch self {
        case .notFound(let program, let path):
            return "\(program) was not found on PATH (\(path)); install it or add its directory to PATH"
        case .spawnFailed(let program, let call, let code):
            return "cannot start \(program): \(call) failed: \(String(cString: strerror(code)))"
        case .io(let program, let call, let code):
            return "talking to \(program) failed: \(call): \(String(cString: strerror(code)))"
        case .inputClosed(let program):
            return "\(program) stopped reading its input before the end of the backup"
        }
    }
}
