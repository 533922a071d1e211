/// A recorded set of demonstrations of one task family on one robot: the episodes a person drove
/// (docs/demonstration-format.md). Observations are raw (un-normalised), actions the executed ones.
public struct DemonstrationSet: Sendable, Equatable {
    public var robot: String
    /// The task family (e.g. `reach`).
    public var task: String
    /// `operator` (recorded by `ttactl demo`) or the name of the file it was added from.
    public var source: String
    /// Per episode: whether it reached the task's success condition (empty: not known).
    public var successes: [Bool]
    /// When the set was stored (Unix seconds).
    public var createdAt: Double
    public var observationSize: Int
    public var actionSize: Int
    /// `steps * observationSize`, row-major.
    public var observations: [Float]
    /// `steps * actionSize`, row-major.
    public var actions: [Float]
    /// Steps of each episode, in order; they sum to `steps`.
    public var episodeLengths: [Int]

    public init(robot: String, task: String, source: String, successes: [Bool], createdAt: Double, observationSize: Int,
                actionSize: Int, observations: [Float], actions: [Float], episodeLengths: [Int]) {
        self.robot = robot; self.task = task; self.source = source; self.successes = successes; self.createdAt = createdAt
        self.observationSize = observationSize; self.actionSize = actionSize
        self.observations = observations; self.actions = actions; self.episodeLengths = episodeLengths
    }

    /// Steps over every episode.
    public var steps: Int { episodeLengths.reduce(0, +) }

    /// The first thing that makes the set unusable for a robot with these sizes, as (field, what
    /// is wrong), or nil: sizes, lengths that do not sum to the steps, a non-finite number.
    public func problem(observationSize expectedObservation: Int, actionSize expectedAction: Int) -> (field: String, message: String)? {
        if observationSize != expectedObservation {
            return ("observations", "has \(observationSize) values per step, robot \(robot) observes \(expectedObservation)")
        }
        if actionSize != expectedAction {
            return ("actions", "has \(actionSize) values per step, robot \(robot) takes \(expectedAction)")
        }
        if episodeLengths.isEmpty { return ("episode_lengths", "is empty: the set has no episode") }
        if let bad = episodeLengths.firstIndex(where: { $0 <= 0 }) {
            return ("episode_lengths", "[\(bad)] is \(episodeLengths[bad]), every episode needs at least one step")
        }
        let steps = observations.count / max(observationSize, 1)
        if self.steps != steps {
            return ("episode_lengths", "sum to \(self.steps), but observations has \(steps) steps")
        }
        if actions.count != steps * actionSize {
            return ("actions", "has \(actions.count / max(actionSize, 1)) steps, observations has \(steps)")
        }
        if !successes.isEmpty, successes.count != episodeLengths.count {
            return ("success", "has \(successes.count) entries for \(episodeLengths.count) episodes")
        }
        if let i = observations.firstIndex(where: { !$0.isFinite }) {
            return ("observations", "step \(i / observationSize) value \(i % observationSize) is \(observations[i])")
        }
        if let i = actions.firstIndex(where: { !$0.isFinite }) {
            return ("actions", "step \(i / actionSize) value \(i % actionSize) is \(actions[i])")
        }
        return nil
    }
}

/// One stored set as `demos` lists it.
public struct DemonstrationSummary: Sendable, Equatable {
    public var id: String
    public var robot: String
    public var task: String
    public var episodes: Int
    public var steps: Int
    /// Episodes that reached the success condition (nil: not known).
    public var successes: Int?
    public var source: String
    public var createdAt: Double

    public init(id: String, set: DemonstrationSet) {
        self.id = id
        robot = set.robot
        task = set.task
        episodes = set.episodeLengths.count
        steps = set.steps
        successes = set.successes.isEmpty ? nil : set.successes.filter { $0 }.count
        source = set.source
        createdAt = set.createdAt
    }
}
