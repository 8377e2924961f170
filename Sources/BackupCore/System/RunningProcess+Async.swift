extension RunningProcess {
    /// Waits for the child on the `BlockingBridge` (no cooperative thread blocks in `waitpid`);
    /// cancelling the calling task kills the child's process group, so the wait ends at once.
    public func ended() async -> ProcessExit {
        await withTaskCancellationHandler {
            await BlockingBridge.shared.runToCompletion { self.wait() }
        } onCancel: {
            self.kill()
        }
    }
}
