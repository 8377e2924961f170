import Foundation
import Glibc

extension Daemon {
    /// Where a `backupd run-now` runs its backup.
    public enum RunNowRoute {
        /// In the running daemon, asked over its control socket (its overlap and concurrency rules hold).
        case daemon(ControlClient)
        /// In this process, which now holds the state directory's lock (keep it until the run ends).
        case here(StateLock)
    }

    /// Why a run-now has nowhere to run.
    public enum RunNowError: Error, CustomStringConvertible {
        /// A daemon (`pid`) holds the lock file at `lockPath` but does not answer on `socketPath`.
        case daemonNotAnswering(pid: Int32, lockPath: String, socketPath: String)

        /// What happened and where to look.
        public var description: String {
            switch self {
            case .daemonNotAnswering(let pid, let lockPath, let socketPath):
                "the backupd daemon (pid \(pid)) holds \(lockPath) but does not answer on \(socketPath); see its log (journalctl -u backupd)"
            }
        }
    }

    /// The route of a run-now on `stateDirectory`: the daemon listening there, else this process
    /// under the state lock; a daemon that holds the lock and is starting gets 5 s to open its
    /// socket. Throws the socket's or the lock's error, or `RunNowError`.
    public static func routeRunNow(stateDirectory: String) throws -> RunNowRoute {
        if let client = try ControlClient.connect(stateDirectory: stateDirectory) { return .daemon(client) }
        do {
            return .here(try StateLock.acquire(stateDirectory: stateDirectory, role: .runNow))
        } catch StateLockError.held(let path, let holder?) where holder.role == .daemon {
            // A daemon that is starting opens its control socket within moments.
            for _ in 0..<50 {
                usleep(100_000)
                if let client = try ControlClient.connect(stateDirectory: stateDirectory) { return .daemon(client) }
            }
            throw RunNowError.daemonNotAnswering(pid: holder.pid, lockPath: path, socketPath: ControlServer.path(stateDirectory: stateDirectory))
        }
    }
}
