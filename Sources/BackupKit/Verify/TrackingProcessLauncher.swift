import BackupCore
import Synchronization

/// Launches through another launcher and remembers the children, so that a stop (SIGTERM or
/// SIGINT to `backupd verify`) can kill every tool it started: the drill's restore tool, psql,
/// age, a format checker. Each runs in a process group of its own and would otherwise outlive
/// backupd. Once stopped, a child that is still being started is killed at once.
public final class TrackingProcessLauncher: ProcessLauncher {
    private struct Child {
        weak var process: (any RunningProcess)?
    }
    private struct State {
        var stopped = false
        var children: [Child] = []
    }
    private let base: any ProcessLauncher
    private let state = Mutex(State())

    /// Tracks the children `base` starts.
    public init(_ base: any ProcessLauncher) {
        self.base = base
    }

    public func launch(_ spec: ProcessSpec) throws -> any RunningProcess {
        let process = try base.launch(spec)
        let stopped = state.withLock { state -> Bool in
            state.children.removeAll { $0.process == nil }
            state.children.append(Child(process: process))
            return state.stopped
        }
        if stopped { process.kill() }
        return process
    }

    public func locate(_ program: String, path: String) -> String? {
        base.locate(program, path: path)
    }

    /// Kills the process group of every child still alive, and of every child started from now on.
    public func stopAll() {
        let children = state.withLock { state -> [any RunningProcess] in
            state.stopped = true
            return state.children.compactMap(\.process)
        }
        for child in children { child.kill() }
    }
}
