/// The adaptation side's state for `status`, read from snapshots, and the daemon's degraded-health
/// causes (`HealthIssues`), kept in one place so `status.health_reason` has one source.
public protocol AdaptationStatusSource: AnyObject, Sendable {
    /// What `status` shows, from a snapshot: never waits for an update, a file or a controller.
    var status: AdaptationStatus { get }
    /// Health: nil when fine, else why (every `HealthIssues` cause recorded now, in one line).
    var degradedReason: String? { get }
    /// Records (nil: clears) one cause of degraded health; `degradedReason` joins them all.
    func setHealthIssue(_ cause: HealthIssues.Cause, _ reason: String?)
    /// The degraded-health causes recorded now.
    var healthIssues: HealthIssues { get }
}
