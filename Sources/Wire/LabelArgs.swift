/// Arguments of `label`: a person's word on whether an operator-judged attempt succeeded
/// (robot-configs with `success_judged_by: operator`).
public struct LabelArgs: Codable, Sendable, Equatable {
    /// The words `outcome` takes.
    public enum Outcome: String, Codable, Sendable, CaseIterable {
        case success, failure
    }

    /// The task id (`submit`'s `task_id`). Required.
    public var task: String
    /// The attempt's index within the task, from 0. Required.
    public var attempt: Int
    /// `success` or `failure`. Required.
    public var outcome: String
    /// Who labels (recorded in the history); optional, at most 64 characters.
    public var by: String?

    public init(task: String, attempt: Int, outcome: Outcome, by: String? = nil) {
        self.task = task; self.attempt = attempt; self.outcome = outcome.rawValue; self.by = by
    }

    /// `outcome` read (valid after `validate()`).
    public var success: Bool { outcome == Outcome.success.rawValue }

    /// Ranges every daemon enforces. Throws naming the first bad field.
    public func validate() throws(WireError) {
        if task.isEmpty || task.utf8.count > 64 { throw WireError(.invalidField, field: "args.task", "must be a task id of 1 to 64 characters") }
        if attempt < 0 { throw WireError(.invalidField, field: "args.attempt", "must be an attempt index from 0, got \(attempt)") }
        if Outcome(rawValue: outcome) == nil {
            throw WireError(.invalidField, field: "args.outcome", "must be success or failure, got \"\(outcome.prefix(32))\"")
        }
        if let by, by.isEmpty || by.utf8.count > 64 { throw WireError(.invalidField, field: "args.by", "must be 1 to 64 characters") }
    }
}

/// `label`'s result: whether the label will be used.
public struct LabelResult: Codable, Sendable, Equatable {
    public var task: String
    public var attempt: Int
    public var outcome: String
    /// True when the label came in time for the task's update; false when it came after its
    /// deadline (or after the update went on without it): recorded, flagged late, not used.
    public var used: Bool
    public var late: Bool
    public var message: String

    public init(task: String, attempt: Int, outcome: String, used: Bool, late: Bool, message: String) {
        self.task = task; self.attempt = attempt; self.outcome = outcome; self.used = used; self.late = late; self.message = message
    }
}
