/// The daemon's control socket: its file name in the state directory, where the daemon listens
/// and `run-now`, `wal-push` and `check` reach it.
public enum ControlSocket {
    /// `control.sock`.
    public static let fileName = "control.sock"
}
