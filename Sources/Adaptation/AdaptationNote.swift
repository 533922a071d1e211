/// A line the engine has for the operator's log, with how much it matters: the daemon sends it
/// to journald (`TTAD_EVENT=adaptation`) at the matching priority, so a routine note (a
/// demonstration set stored, a probe's record) does not read as a warning and `journalctl -p
/// warning` shows only what needs a person.
public struct AdaptationNote: Sendable, Equatable, CustomStringConvertible {
    /// How much the note matters, from routine to needing a person.
    public enum Severity: Sendable, Equatable {
        /// Routine: what was done, for the record (journald priority 6, info).
        case info
        /// Normal but worth a look: something was tidied up or cut short (priority 5, notice).
        case notice
        /// Needs a person: a robot, a checkpoint or a file is not used as configured, or
        /// adaptation paused itself (priority 4, warning).
        case warning
    }

    /// How much it matters.
    public var severity: Severity
    /// The line itself.
    public var message: String

    /// A note of `severity` saying `message`.
    public init(_ severity: Severity, _ message: String) {
        self.severity = severity
        self.message = message
    }

    public var description: String { message }
}
