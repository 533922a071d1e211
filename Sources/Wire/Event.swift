import Foundation

/// A progress event on the event socket (PUB). Two frames: the topic (`event.kind`, so a SUB can
/// filter by prefix, e.g. `attempt`) and this struct as JSON.
public struct Event: Codable, Sendable, Equatable {
    /// What happened.
    public enum Kind: String, Codable, Sendable {
        case taskQueued = "task_queued", taskStarted = "task_started", taskFinished = "task_finished"
        case attemptStarted = "attempt_started", attemptFinished = "attempt_finished"
        case updateFinished = "update_finished"
        /// An evaluation ended (after its `task_finished`): `success_rate`, `steps` (mean steps to
        /// success, absent when none succeeded), `attempts` (K), `checkpoint` (what it ran on).
        case evaluationFinished = "evaluation_finished"
        case checkpoint, status
        /// An operator-judged attempt ended and awaits a person's label (`label`): `attempt`,
        /// `steps`, `label_deadline`.
        case attemptNeedsLabel = "attempt_needs_label"
    }
    public var v: Int = WireVersion.current
    public var kind: Kind
    public var at: Double
    public var taskId: String?
    public var attempt: Int?
    public var attempts: Int?
    public var temperature: Double?
    public var steps: Int?
    public var success: Bool?
    public var reward: Double?
    public var abortReason: String?
    public var checkpoint: String?
    /// `attempt_finished`: steps a person drove (bridge interventions); absent when none.
    public var intervenedSteps: Int?
    /// `attempt_finished`: of those, steps whose executed action the envelope would have clamped; absent when none.
    public var interventionsPastLimits: Int?
    /// task_finished: the final state; checkpoint: promoted/rollback/candidate/skipped; status: health.
    public var state: String?
    public var message: String?
    public var update: UpdateInfo?
    public var successRate: Double?
    public var meanReward: Double?
    /// attempt_needs_label: when the label stops counting (seconds since 1970).
    public var labelDeadline: Double?

    public init(kind: Kind, taskId: String? = nil) {
        self.kind = kind
        self.taskId = taskId
        self.at = Date().timeIntervalSince1970
    }

    /// [topic, json].
    public func frames() -> [[UInt8]] {
        [Array(kind.rawValue.utf8), [UInt8]((try? WireCoding.encoder.encode(self)) ?? Data())]
    }

    /// Reads [topic, json].
    public static func decode(_ frames: [[UInt8]]) throws -> Event {
        guard frames.count == 2 else { throw WireError(.badFrames, "an event has 2 frames, got \(frames.count)") }
        return try WireCoding.decoder.decode(Event.self, from: Data(frames[1]))
    }
}
