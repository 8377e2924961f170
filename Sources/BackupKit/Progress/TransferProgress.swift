import Foundation
import Synchronization

/// One status line for a long transfer on a terminal: bytes so far, rate, elapsed and, when the
/// size is known (or estimated), the share done and an ETA. Redrawn in place with `\r` at most
/// every `interval` seconds and cleared by `finish()`.
///
/// The clock and the output are injected, so tests drive it without a terminal or sleeping.
/// Safe to call from several threads (the upload and a ticker).
public final class TransferProgress: Sendable {
    /// What the size of the transfer is known as.
    public enum Total: Sendable, Hashable {
        /// From the manifest: the ETA is exact up to the rate.
        case exact(Int64)
        /// From earlier backups (`ExpectedSize`): shown with `~`.
        case estimate(Int64)
    }

    private let label: String
    private let counting: Bool
    private let now: @Sendable () -> Double
    private let write: @Sendable (String) -> Void
    private let interval: Double
    private let started: Double
    private let state: Mutex<State>

    /// What changes as bytes move (behind the mutex: the upload and a ticker both draw).
    private struct State {
        var total: Total?
        var done: Int64 = 0
        var moved: Int64 = 0
        var lastDrawn: Double?
        var visible = false
        var finished = false
    }

    /// A line starting with `label` ("restoring"); `now` is a monotonic clock in seconds and
    /// `write` receives the terminal text (stderr in the CLI). Without `counting` the line shows
    /// only the elapsed time (the bytes move in another process).
    public init(
        label: String, total: Total? = nil, counting: Bool = true, interval: Double = 0.25, now: @escaping @Sendable () -> Double,
        write: @escaping @Sendable (String) -> Void
    ) {
        self.label = label
        self.counting = counting
        self.state = Mutex(State(total: total))
        self.interval = interval
        self.now = now
        self.write = write
        self.started = now()
    }

    /// Counts `bytes` more and redraws when the last drawing is `interval` old.
    public func add(_ bytes: Int) {
        state.withLock { state in
            state.done += Int64(bytes)
            state.moved += Int64(bytes)
            drawIfDue(&state)
        }
    }

    /// Starts a new item of `total` bytes (the next backup of `verify --all`): the share and the
    /// ETA restart, the rate and the elapsed time go on.
    public func begin(total: Total?) {
        state.withLock { state in
            state.total = total
            state.done = 0
        }
    }

    /// Sets the size of the current item without restarting its count.
    public func setTotal(_ total: Total?) {
        state.withLock { $0.total = total }
    }

    /// Redraws when due even if no bytes moved (the elapsed time goes on).
    public func tick() {
        state.withLock { drawIfDue(&$0) }
    }

    /// Prints `text` as a line of its own above the status line.
    public func message(_ text: String) {
        state.withLock { state in
            write((state.visible ? Self.clear : "") + text + "\n")
            state.visible = false
            state.lastDrawn = nil
            drawIfDue(&state)
        }
    }

    /// Clears the line for good; later calls draw nothing.
    public func finish() {
        state.withLock { state in
            if state.visible { write(Self.clear) }
            state.visible = false
            state.finished = true
        }
    }

    /// Carriage return and erase to the end of the line.
    static let clear = "\r\u{1B}[K"

    private func drawIfDue(_ state: inout State) {
        guard !state.finished else { return }
        let time = now()
        if let lastDrawn = state.lastDrawn, time - lastDrawn < interval { return }
        state.lastDrawn = time
        state.visible = true
        let text = counting
            ? Self.line(label: label, done: state.done, moved: state.moved, total: state.total, elapsed: time - started)
            : "\(label) \(Self.clock(time - started)) elapsed"
        write(Self.clear + text)
    }
}
