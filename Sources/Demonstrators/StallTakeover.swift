/// When a scripted person takes over an attempt: after `stallSteps` steps in which the robot's
/// progress (0 at the start, 1 at the goal) has not risen by `minimumGain`, the person drives
/// `holdSteps` steps, then hands back and the count starts again. This is how the experiments'
/// stand-in for a person behaves at the robot (issue 17: "they take over when an attempt stalls");
/// a real person's rule is their own, and reaches ttad only as intervened step replies.
public struct StallTakeover: Sendable, Equatable {
    /// Steps without progress before the person takes over.
    public var stallSteps: Int
    /// Steps the person drives once they have taken over.
    public var holdSteps: Int
    /// The rise in progress that counts as progress.
    public var minimumGain: Double

    private var best = 0.0
    private var withoutProgress = 0
    private var driving = 0
    private var droveLastStep = false

    public init(stallSteps: Int, holdSteps: Int, minimumGain: Double = 0.01) {
        precondition(stallSteps >= 1 && holdSteps >= 1 && minimumGain >= 0)
        self.stallSteps = stallSteps; self.holdSteps = holdSteps; self.minimumGain = minimumGain
    }

    /// A new attempt: no progress yet, nobody driving.
    public mutating func reset() { best = 0; withoutProgress = 0; driving = 0; droveLastStep = false }

    /// Whether the person drives the next step (call once per step, before it).
    public mutating func personDrivesNextStep() -> Bool {
        if driving == 0, withoutProgress >= stallSteps {
            driving = holdSteps
            withoutProgress = 0
        }
        guard driving > 0 else { droveLastStep = false; return false }
        driving -= 1
        droveLastStep = true
        return true
    }

    /// The progress after a step (the best so far or the current value: only rises count). A
    /// step the person drove raises the bar but is no stall of the robot's: after handing back,
    /// the robot gets `stallSteps` steps of its own.
    public mutating func observe(progress: Double) {
        if droveLastStep {
            best = max(best, progress)
            return
        }
        if progress >= best + minimumGain {
            best = progress
            withoutProgress = 0
        } else {
            withoutProgress += 1
        }
    }

    /// True while the person has the robot.
    public var isDriving: Bool { driving > 0 }
}
