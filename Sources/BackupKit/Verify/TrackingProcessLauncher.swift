import BackupCore
import Glibc
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
        /// Launches under way: their child exists before it is tracked.
        var launching = 0
    }
    private let base: any ProcessLauncher
    private let state = Mutex(State())

    /// Tracks the children `base` starts.
    public init(_ base: any ProcessLauncher) {
        self.base = base
    }

    public func launch(_ spec: ProcessSpec) throws -> any RunningProcess {
        state.withLock { $0.launching += 1 }
        defer { state.withLock { $0.launching -= 1 } }
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
    /// A child whose launch is under way (spawned, not yet tracked) is killed by that launch: this
    /// waits for such launches (at most `launchWait`), since the caller exits right after.
    public func stopAll() {
        let children = state.withLock { state -> [any RunningProcess] in
            state.stopped = true
            return state.children.compactMap(\.process)
        }
        for child in children { child.kill() }
        let deadline = ContinuousClock.now + Self.launchWait
        while state.withLock({ $0.launching }) > 0, ContinuousClock.now < deadline { usleep(1_000) }
    }

    /// The longest `stopAll` waits for launches under way (a loaded machine may pause one between
    /// the spawn and its tracking; the child must not outlive backupd).
    static let launchWait: Duration = .seconds(2)
}
