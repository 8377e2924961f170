import Foundation

/// One status line for a long transfer on a terminal: bytes so far, rate, elapsed and, when the
/// size is known (or estimated), the share done and an ETA. Redrawn in place with `\r` at most
/// every `interval` seconds and cleared by `finish()`.
///
/// The clock and the output are injected, so tests drive it without a terminal or sleeping.
/// Safe to call from several threads (the upload and a ticker).
public final class TransferProgress: @unchecked Sendable {
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
    private let lock = NSLock()
    private let started: Double
    private var total: Total?
    private var done: Int64 = 0
    private var moved: Int64 = 0
    private var lastDrawn: Double?
    private var visible = false
    private var finished = false

    /// A line starting with `label` ("restoring"); `now` is a monotonic clock in seconds and
    /// `write` receives the terminal text (stderr in the CLI). Without `counting` the line shows
    /// only the elapsed time (the bytes move in another process).
    public init(
        label: String, total: Total? = nil, counting: Bool = true, interval: Double = 0.25, now: @escaping @Sendable () -> Double,
        write: @escaping @Sendable (String) -> Void
    ) {
        self.label = label
        self.counting = counting
        self.total = total
        self.interval = interval
        self.now = now
        self.write = write
        self.started = now()
    }

    /// Counts `bytes` more and redraws when the last drawing is `interval` old.
    public func add(_ bytes: Int) {
        lock.withLock {
            done += Int64(bytes)
            moved += Int64(bytes)
            drawIfDue()
        }
    }

    /// Starts a new item of `total` bytes (the next backup of `verify --all`): the share and the
    /// ETA restart, the rate and the elapsed time go on.
    public func begin(total: Total?) {
        lock.withLock {
            self.total = total
            done = 0
        }
    }

    /// Sets the size of the current item without restarting its count.
    public func setTotal(_ total: Total?) {
        lock.withLock { self.total = total }
    }

    /// Redraws when due even if no bytes moved (the elapsed time goes on).
    public func tick() {
        lock.withLock { drawIfDue() }
    }

    /// Prints `text` as a line of its own above the status line.
    public func message(_ text: String) {
        lock.withLock {
            write((visible ? Self.clear : "") + text + "\n")
            visible = false
            lastDrawn = nil
            drawIfDue()
        }
    }

    /// Clears the line for good; later calls draw nothing.
    public func finish() {
        lock.withLock {
            if visible { write(Self.clear) }
            visible = false
            finished = true
        }
    }

    /// Carriage return and erase to the end of the line.
    static let clear = "\r\u{1B}[K"

    private func drawIfDue() {
        guard !finished else { return }
        let time = now()
        if let lastDrawn, time - lastDrawn < interval { return }
        lastDrawn = time
        visible = true
        let text = counting
            ? Self.line(label: label, done: done, moved: moved, total: total, elapsed: time - started)
            : "\(label) \(Self.clock(time - started)) elapsed"
        write(Self.clear + text)
    }
}
