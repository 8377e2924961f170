extension JobConfig {
    /// The job with `policy` when it sets no retention of its own.
    func withDefaultRetention(_ policy: RetentionPolicy?) -> JobConfig {
        var job = self
        if job.retention == nil { job.retention = policy }
        return job
    }
}
