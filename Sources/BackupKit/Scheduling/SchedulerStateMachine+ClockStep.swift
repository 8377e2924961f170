import Foundation

/// Clock steps the driver measured (wall clock against a clock that never steps).
///
/// Debian cron's rules (cron.c, "time jumped"), with backupd's catch-up policy kept for the
/// forward direction:
/// - **Back by up to `maxClockStepBack`:** wildcard schedules (`* * * * *`, `*/5 * * * *`,
///   `0 * * * *`) take their first slot after the new time, so they go on within one interval;
///   fixed-time schedules (`30 2 * * *`) keep waiting for their next unhandled slot, so a slot never
///   runs twice. Back by more: every schedule restarts from the new time (`rebase`).
/// - **Forward:** the first slot jumped over is handled as any late slot (a catch-up run under
///   `once`, on time when within the grace), and every slot jumped over that does not run gets a
///   `skip` with the step as its reason, up to `maxSkippedRowsPerStep` per job; the last of those
///   then names the end of the jump.
extension SchedulerStateMachine {
    /// Most skip actions one forward step gives one job (an every-minute job over a step of a year
    /// would otherwise write half a million history rows).
    public static let maxSkippedRowsPerStep = 1000

    /// The wall clock was set by `step` seconds (negative: back) and reads `now`; applies the rules
    /// above, then handles what is due like `tick(now:)`, ending with the timer to arm.
    public mutating func clockStepped(by step: TimeInterval, now: Date) -> [SchedulerAction] {
        var actions: [SchedulerAction] = []
        if step < -Self.maxClockStepBack {
            rebase(now: now)
        } else if step < 0 {
            resumeWildcardSchedules(now: now)
        } else if step > 0 {
            skipJumpedSlots(step: step, now: now, into: &actions)
        }
        lastTick = now
        actions.append(contentsOf: tick(now: now))
        return actions
    }

    /// After a small backward step: wildcard jobs forget slots "handled in the future" and take
    /// their first slot after the new time; fixed-time jobs are left as they are.
    private mutating func resumeWildcardSchedules(now: Date) {
        for index in jobs.indices where jobs[index].job.schedule.resumesAfterClockStepBack {
            if let lastSlot = jobs[index].lastSlot, lastSlot > now { jobs[index].lastSlot = nil }
            jobs[index].nextDue = Self.slot(of: jobs[index].job.schedule, after: now, now: now)
        }
        rebuildHeap()
    }

    /// After a forward step: per job in due order, the first slot jumped over follows the catch-up
    /// policy and every other one is skipped with the step as its reason.
    private mutating func skipJumpedSlots(step: TimeInterval, now: Date, into actions: inout [SchedulerAction]) {
        var due: [DueHeap.Entry] = []
        for index in jobs.indices {
            if let next = jobs[index].nextDue, next <= now { due.append(DueHeap.Entry(due: next, job: index)) }
        }
        for entry in due.sorted() {
            let first = entry.due
            let index = entry.job
            let job = jobs[index].job
            let late = now.timeIntervalSince(first) > configuration.missedRunGrace
            let firstRuns = !late || job.catchUp == .once
            let limit = Self.maxSkippedRowsPerStep + (firstRuns ? 1 : 0)
            var slots = [first]
            var truncated = false
            while let next = job.schedule.next(after: slots[slots.count - 1]), next > slots[slots.count - 1], next <= now {
                if slots.count == limit {
                    truncated = true
                    break
                }
                slots.append(next)
            }
            let reason = { (slot: Date, last: Bool) -> SkipReason in
                .clockSteppedForward(by: step, slot: job.schedule.describe(slot),
                                     through: last && truncated ? job.schedule.describe(now) : nil)
            }
            switch (late, job.catchUp) {
            case (false, _):
                offer(ScheduledRun(job: job.name, trigger: .schedule, scheduledFor: first), into: &actions)
            case (true, .once):
                offer(ScheduledRun(job: job.name, trigger: .catchUp, scheduledFor: first), into: &actions)
            case (true, .none):
                actions.append(.skip(ScheduledRun(job: job.name, trigger: .schedule, scheduledFor: first),
                                     reason: reason(first, slots.count == 1)))
            }
            for (offset, slot) in slots.enumerated().dropFirst() {
                actions.append(.skip(ScheduledRun(job: job.name, trigger: .schedule, scheduledFor: slot),
                                     reason: reason(slot, offset == slots.count - 1)))
            }
            jobs[index].lastSlot = truncated ? now : slots[slots.count - 1]
            let after = Swift.max(now, jobs[index].lastSlot ?? now)
            jobs[index].nextDue = Self.slot(of: job.schedule, after: after, now: now)
        }
        rebuildHeap()
    }

    /// Rebuilds the heap from every job's `nextDue` (O(n), only after a step).
    private mutating func rebuildHeap() {
        heap = DueHeap(jobs.indices.compactMap { index in
            jobs[index].nextDue.map { DueHeap.Entry(due: $0, job: index) }
        })
    }
}
