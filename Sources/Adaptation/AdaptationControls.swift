/// What a person (pause, resume, e-stop, reload) and the daemon's lifecycle (shutdown) switch on
/// the adaptation side.
public protocol AdaptationControls: AnyObject, Sendable {
    /// Whether updates are made (pause/resume). Setting it true (`resume`) also acknowledges the
    /// health causes a person clears (the hardware-fault pause, start-up fallbacks).
    var isAdapting: Bool { get set }
    /// Latches every robot's e-stop at once (a running attempt aborts at its next step) and tells
    /// the controllers in the background. Never blocks: the request thread calls it.
    func emergencyStop()
    /// Releases the e-stop after the stops on their way have been sent (may wait for them, briefly),
    /// unless another e-stop came in meanwhile.
    func clearEmergencyStop()
    /// Re-reads the robot-configs (SIGHUP, `reload`). A bad file is an error and the old ones stay;
    /// a successful reload also loads robots that were skipped at start-up.
    func reload() throws
    /// Saves what must survive (called once on shutdown, after the last task stopped).
    func shutdown()
}
