extension VerifyReport {
    /// The report of a verification stopped before it finished (SIGTERM past the grace period):
    /// what its checks saw was cut short, so it holds no verdict on the backup, only `reason`
    /// as why it could not verify.
    func stopped(_ reason: String) -> VerifyReport {
        var report = self
        let text = "the verification was stopped before it finished: \(reason)"
        report.problems = []
        report.objects = objects.map { object in
            var object = object
            object.problems = []
            return object
        }
        report.drill = drill.map { drill in
            var drill = drill
            drill.error = nil
            drill.notRun = text
            return drill
        }
        report.couldNotVerify = text
        return report
    }
}
