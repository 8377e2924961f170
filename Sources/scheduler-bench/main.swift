// Measures the scheduler state machine with 10,000 jobs: a tick with one due job (the steady
// state), and a tick where every job is due at once (start after downtime).
import BackupKit
import Foundation

struct EveryMinuteOffset: JobSchedule {
    var offset: TimeInterval
    func next(after date: Date) -> Date? {
        let k = ((date.timeIntervalSince1970 - offset) / 60).rounded(.down) + 1
        return Date(timeIntervalSince1970: k * 60 + offset)
    }
}

let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 10_000 : 10_000
let clock = ContinuousClock()
let t0 = Date(timeIntervalSince1970: 1_700_002_800)
func microseconds(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
}

// Every job on its own offset within the minute: one job due per tick in the steady state.
let jobs = (0..<count).map {
    ScheduledJob(name: "job-\($0)", schedule: EveryMinuteOffset(offset: 60 * Double($0) / Double(count)))
}
var start = clock.now
var machine = SchedulerStateMachine(jobs: jobs, configuration: .init(maxConcurrentJobs: count), now: t0)
print("init with \(count) jobs: \(String(format: "%.1f", microseconds(clock.now - start) / 1000)) ms")

var samples: [Double] = []
var now = t0
var started = 0
for _ in 0..<20_000 {
    guard let wake = machine.nextWake else { break }
    now = wake
    let tickStart = clock.now
    let actions = machine.tick(now: now)
    samples.append(microseconds(clock.now - tickStart))
    for case .start(let run) in actions {
        started += 1
        _ = machine.runFinished(job: run.job)
    }
}
samples.sort()
print(
    "steady-state tick (\(samples.count) ticks, \(started) runs started): "
        + String(format: "median %.2f µs, p99 %.2f µs, max %.2f µs", samples[samples.count / 2],
            samples[samples.count * 99 / 100], samples.last ?? 0))

// All jobs due at once: daemon start after an hour down, every job catching up.
let history = jobs.map { ScheduledJob(name: $0.name, schedule: $0.schedule, lastRun: t0) }
var downtime = SchedulerStateMachine(jobs: history, configuration: .init(maxConcurrentJobs: 4), now: t0 + 3600)
start = clock.now
let burst = downtime.tick(now: t0 + 3600)
let burstTime = clock.now - start
let starts = burst.filter { if case .start = $0 { true } else { false } }.count
let queued = burst.filter { if case .queued = $0 { true } else { false } }.count
print(
    "tick with all \(count) jobs due (catch-up, maxConcurrentJobs 4): "
        + String(format: "%.2f ms", microseconds(burstTime) / 1000) + " (\(starts) started, \(queued) queued)")
start = clock.now
var drained = 0
for index in 0..<count {
    drained += downtime.runFinished(job: "job-\(index)").count
}
print("draining the queue of \(queued) runs: " + String(format: "%.2f ms", microseconds(clock.now - start) / 1000))
