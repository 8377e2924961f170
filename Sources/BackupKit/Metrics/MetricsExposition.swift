import BackupHistory
import ConfigKit
import Foundation
import Prometheus

/// Renders a `MetricsRegistry` in the Prometheus text exposition format (version 0.0.4), the
/// form both node_exporter's textfile collector and a scrape of `GET /metrics` read.
///
/// The text comes from swift-prometheus: each render builds a fresh `PrometheusCollectorRegistry`,
/// registers a gauge or counter per sample, sets it from the snapshot and emits the registry. A
/// fresh registry per render because every value here is derived state (last times from the
/// history, next run and overdue computed at scrape time from the schedule, verifications and
/// pending aborts read from the history), not events counted in place, and a job a reload removes
/// must disappear. The library emits a family only with at least one sample, in no fixed order,
/// and gauge values as Swift prints a `Double` (`1.0`, `42.5`; rounded to milliseconds here);
/// Prometheus reads all of these alike.
public enum MetricsExposition {
    /// The Content-Type of the text format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// One metric family: its name, type, help and samples.
    struct Family {
        var name: String
        var type: String
        var help: String
        var samples: [(labels: [(String, String)], value: Double)] = []
    }

    /// The whole exposition for `registry` now.
    public static func render(_ registry: MetricsRegistry) -> String {
        let (config, jobs, now) = registry.snapshot()
        return render(config: config, jobs: jobs, now: now, history: registry.historyMetrics(for: config), fleet: registry.fleet.families())
    }

    /// The exposition for `jobs` under `config` at `now`; the verification and pending-abort
    /// families only with a `history` reading; the `fleet` gauges (`FleetMetrics`) as given.
    public static func render(
        config: BackupConfig, jobs: [String: JobMetrics], now: Date, history: HistoryMetrics? = nil, fleet: [FleetJobStatus.MetricFamily] = []
    ) -> String {
        var build = Family(name: "backupd_build_info", type: "gauge", help: "Always 1; the labels give backupd's version.")
        build.samples.append(([("version", BackupKit.version)], 1))
        var families = [build]
        func family(_ name: String, _ type: String, _ help: String) -> Int {
            families.append(Family(name: name, type: type, help: help))
            return families.count - 1
        }
        let start = family("backupd_last_run_start_timestamp_seconds", "gauge", "When the job's newest run started (Unix time).")
        let end = family("backupd_last_run_end_timestamp_seconds", "gauge", "When the job's newest finished run ended (Unix time).")
        let success = family("backupd_last_success_timestamp_seconds", "gauge", "When the job's newest successful run ended (Unix time).")
        let succeeded = family("backupd_last_run_success", "gauge", "1 if the job's newest finished run succeeded, else 0.")
        let duration = family("backupd_last_run_duration_seconds", "gauge", "How long the job's newest finished run took.")
        let size = family("backupd_last_backup_size_bytes", "gauge", "Bytes stored at the destination by the job's newest run that stored the backup there.")
        let suspicious = family(
            "backupd_last_backup_suspicious", "gauge",
            "1 if the job's newest stored backup is suspiciously small (below suspiciousBelow of the recent median) and not acknowledged, else 0.")
        let running = family("backupd_job_running", "gauge", "1 while a run of the job is in progress.")
        let runs = family("backupd_runs_total", "counter", "Finished runs of the job by status (succeeded, failed, interrupted).")
        let uploaded = family("backupd_uploaded_bytes_total", "counter", "Bytes stored by the job's successful runs, by destination.")
        let retries = family("backupd_retries_total", "counter", "S3 requests retried by the job's runs since backupd started, by destination.")
        let overdue = family("backupd_job_overdue", "gauge", "1 if a scheduled backup should have succeeded by now and has not (as `backupd status`).")
        let next = family("backupd_next_run_timestamp_seconds", "gauge", "When the job is next scheduled (Unix time); absent when disabled.")
        let enabled = family("backupd_job_enabled", "gauge", "1 if the scheduler runs the job.")
        let verifiedOK = family(
            "backupd_last_verification_success", "gauge",
            "1 if the newest verification of the job's backups at the destination passed, 0 if it failed; absent before one ran.")
        let verifiedAt = family(
            "backupd_last_verification_timestamp_seconds", "gauge",
            "When the newest verification that ran (passed or failed) ended (Unix time); one that could not run does not count.")
        let walLag = family(
            "backupd_wal_archive_lag_seconds", "gauge",
            "PITR jobs: the age of the newest WAL file the daemon archived; absent before the first.")
        let walLast = family("backupd_wal_last_archived_timestamp_seconds", "gauge", "PITR jobs: when the newest WAL file was archived (Unix time).")
        let walFailures = family("backupd_wal_push_failures_total", "counter", "PITR jobs: wal-push requests the daemon could not store (PostgreSQL retries them).")
        let walWaiting = family(
            "backupd_wal_archive_backlog_segments", "gauge",
            "PITR jobs: WAL files waiting in the server's pg_wal/archive_status (besides the one pushed) at the newest wal-push; absent before one counted them.")
        let walFailing = family("backupd_wal_archive_failing", "gauge", "PITR jobs: 1 while the newest wal-push failed (nothing was stored after it), else 0.")
        let aborts = history.map { _ in family("backupd_pending_aborts", "gauge", "Multipart uploads whose abort failed and is retried until the provider confirms it, by destination.") }

        for job in config.jobs {
            let metrics = jobs[job.name] ?? JobMetrics()
            let label = [("backup_job", job.name)]
            func add(_ index: Int, _ value: Double?, _ labels: [(String, String)] = label) {
                if let value { families[index].samples.append((labels, value)) }
            }
            add(start, metrics.lastStart?.timeIntervalSince1970)
            add(end, metrics.lastEnd?.timeIntervalSince1970)
            add(success, metrics.lastSuccess?.timeIntervalSince1970)
            add(succeeded, metrics.lastStatus.map { $0 == .succeeded ? 1 : 0 })
            add(duration, metrics.lastDuration)
            for (destination, bytes) in metrics.lastSizes.sorted(by: { $0.key < $1.key }) {
                add(size, Double(bytes), label + [("destination", destination)])
            }
            add(suspicious, metrics.lastSuspicious ? 1 : 0)
            add(running, metrics.running ? 1 : 0)
            // Every job has the same series (`partial` stays 0 for a job with one destination).
            for status in [RunStatus.succeeded, .failed, .interrupted, .partial] {
                add(runs, Double(metrics.runs[status] ?? 0), label + [("status", status.rawValue)])
            }
            var destinations = Set(metrics.bytesUploaded.keys.filter { !$0.isEmpty })
            destinations.formUnion(job.destinations)
            for destination in destinations.sorted() {
                add(uploaded, Double(metrics.bytesUploaded[destination] ?? 0), label + [("destination", destination)])
            }
            for destination in Set(metrics.retries.keys).union(job.destinations).sorted() {
                add(retries, Double(metrics.retries[destination] ?? 0), label + [("destination", destination)])
            }
            add(overdue, isOverdue(job: job, metrics: metrics, now: now) ? 1 : 0)
            add(next, job.enabled ? job.cronSchedule.next(after: now)?.timeIntervalSince1970 : nil)
            add(enabled, job.enabled ? 1 : 0)
            // The history's reading when there is one: `backupd verify` and `restore --verify-first`
            // record verifications from other processes.
            let verifications = history.map { $0.lastVerifications[job.name] ?? [:] } ?? metrics.verifications
            for (destination, result) in verifications.sorted(by: { $0.key < $1.key }) {
                let labels = destination.isEmpty ? label : label + [("destination", destination)]
                add(verifiedOK, result.passed ? 1 : 0, labels)
                add(verifiedAt, result.at.timeIntervalSince1970, labels)
            }
            if job.pitr != nil, let history {
                let wal = history.walArchives[job.name] ?? WALArchiveState()
                add(walLag, wal.lag(now: now))
                add(walLast, wal.lastArchived?.timeIntervalSince1970)
                add(walFailures, Double(wal.failures))
                add(walFailing, wal.isFailing ? 1 : 0)
                add(walWaiting, wal.waiting.map(Double.init))
            }
        }
        if let aborts, let history {
            // Every configured destination (0 when none is pending), and any other still pending.
            for destination in Set(config.destinations.map(\.name)).union(history.pendingAborts.keys).sorted() {
                families[aborts].samples.append(([("destination", destination)], Double(history.pendingAborts[destination] ?? 0)))
            }
        }
        for family in fleet {
            families.append(Family(name: family.name, type: "gauge", help: family.help, samples: family.samples))
        }
        let prometheus = PrometheusCollectorRegistry()
        for family in families {
            let descriptor = MetricNameDescriptor(metricName: family.name, unitName: "", helpText: family.help)
            for sample in family.samples {
                if family.type == "counter" {
                    let counter = prometheus.makeCounter(descriptor: descriptor, labels: sample.labels)
                    // Counts and bytes: whole numbers, emitted without a fraction.
                    if let whole = Int64(exactly: sample.value) {
                        counter.increment(by: max(0, whole))
                    } else {
                        counter.increment(by: max(0, sample.value))
                    }
                } else {
                    // Millisecond precision, as the history keeps times: a value read back after a
                    // restart equals the one exposed before it.
                    let value = sample.value.isFinite ? (sample.value * 1000).rounded() / 1000 : sample.value
                    prometheus.makeGauge(descriptor: descriptor, labels: sample.labels).set(to: value)
                }
            }
        }
        return prometheus.emitToString()
    }

    /// The rule of `JobStatus.compute`: the first slot after the last success (or, with none yet,
    /// after the first run seen) plus the job's timeout lies in the past and no run is in progress.
    static func isOverdue(job: JobConfig, metrics: JobMetrics, now: Date) -> Bool {
        guard job.enabled, !metrics.running, let reference = metrics.lastSuccessSlot ?? metrics.firstSlot else { return false }
        guard let due = job.cronSchedule.next(after: reference) else { return metrics.lastSuccess == nil }
        return due.addingTimeInterval(Double(job.timeout.components.seconds)) < now
    }
}
