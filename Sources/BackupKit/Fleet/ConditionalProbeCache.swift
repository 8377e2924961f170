import ConfigKit
import Foundation
import Logging
import S3Kit
import Synchronization

/// What the daemon learnt by probing a `probeFirst` destination's conditional writes (as `check`
/// does) at its start (`ConditionalProbeService`) or before the first claim there: probed once per
/// destination and claims folder for the process (a probe that could not run is tried again).
public final class ConditionalProbeCache: Sendable {
    /// Probes a destination; returns why it is unsafe for claims, nil when every step passed.
    public typealias Probe = @Sendable (DestinationConfig, _ key: String, Logger) async -> String?

    /// What one probe found.
    public enum Verdict: Sendable, Equatable {
        /// Every step passed: claims are atomic there.
        case safe
        /// The provider answered and a step failed (the reason): kept for the process.
        case unsafe(String)
        /// Nothing was proven (the probe's first write failed: the bucket unreachable, say): the
        /// reason is given, but the next claim probes again.
        case unknown(String)
    }

    /// Probes a destination, telling a proven verdict from a probe that could not run.
    public typealias VerdictProbe = @Sendable (DestinationConfig, _ key: String, Logger) async -> Verdict

    private struct State {
        var results: [String: String?] = [:]
        /// Callers waiting for a probe under way, by destination and folder.
        var waiting: [String: [CheckedContinuation<String?, Never>]] = [:]
    }

    private let probe: VerdictProbe
    private let state = Mutex(State())

    /// A cache over `probe`; every reason it gives is kept for the process.
    public init(probe: @escaping Probe) {
        self.probe = { destination, key, logger in (await probe(destination, key, logger)).map(Verdict.unsafe) ?? .safe }
    }

    /// A cache over a probe that says when it proved nothing (that answer is not kept).
    public init(verdict probe: @escaping VerdictProbe) {
        self.probe = probe
    }

    /// The live probe: `ConditionalWriteProbe` over S3 on a key of its own under the claims' folder.
    public static func live() -> ConditionalProbeCache {
        ConditionalProbeCache(verdict: { destination, key, logger in
            let result = await ConditionalWriteProbe(client: S3Client(destination: destination, logger: logger), key: key, required: true).run()
            guard !result.passed else { return .safe }
            let reason = result.steps.compactMap { step -> String? in
                switch step.outcome {
                case .failed(let text), .warning(let text): return "\(step.name): \(text)"
                default: return nil
                }
            }.joined(separator: "; ")
            if case .failed? = result.steps.first?.outcome { return .unknown(reason) }
            return .unsafe(reason)
        })
    }

    /// Why claims are unsafe on `destination` under `folder` (nil: safe or documented), probing
    /// once: a caller that comes while the probe is under way (the start probe and the first
    /// sweep claim) waits for its answer rather than writing a second probe object.
    func unsafeReason(_ destination: DestinationConfig, folder: String, logger: Logger) async -> String? {
        guard case .probeFirst = destination.provider.conditionalWrites else { return nil }
        let id = destination.name + "\u{0}" + folder
        enum Step { case known(String?), wait, probe }
        let step = state.withLock { state -> Step in
            if let known = state.results[id] { return .known(known) }
            if state.waiting[id] != nil { return .wait }
            state.waiting[id] = []
            return .probe
        }
        switch step {
        case .known(let reason):
            return reason
        case .wait:
            return await withCheckedContinuation { continuation in
                let answer = state.withLock { state -> String?? in
                    if let known = state.results[id] { return .some(known) }
                    if state.waiting[id] == nil { return .some("the conditional-write probe could not run; it is tried again before the next claim") }
                    state.waiting[id]!.append(continuation)
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        case .probe:
            let reason = await probeOnce(destination, folder: folder, id: id, logger: logger)
            let waiters = state.withLock { state in state.waiting.removeValue(forKey: id) ?? [] }
            for waiter in waiters { waiter.resume(returning: reason) }
            return reason
        }
    }

    /// Runs the probe; keeps a proven verdict for `id`.
    private func probeOnce(_ destination: DestinationConfig, folder: String, id: String, logger: Logger) async -> String? {
        let reason: String?
        switch await probe(destination, folder + "probe-\(ObjectName.randomToken()).json", logger) {
        case .safe:
            reason = nil
        case .unsafe(let text):
            reason = text
        case .unknown(let text):
            logger.warning(
                "the conditional-write probe could not run; probing again before the next claim",
                metadata: ["s3.destination": "\(destination.name)", "probe.reason": "\(text)"])
            return "the probe could not run (\(text))"
        }
        state.withLock { $0.results[id] = .some(reason) }
        if let reason {
            logger.critical(
                "destination failed the conditional-write probe; runOn any jobs there do not run",
                metadata: ["s3.destination": "\(destination.name)", "probe.reason": "\(reason)"])
        }
        return reason
    }
}
