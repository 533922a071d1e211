import Adaptation
import Robots

/// The person of an operator-labels experiment: labels every operator-judged attempt through the
/// engine's `LabelBoard` (the board the daemon's `label` op posts into), reading the simulator's
/// own success flag as the truth and flipping it with probability `errorRate` (seeded, so a run
/// repeats). Forwards everything else to `inner`.
final class SimulatedLabeller: AdaptationObserver {
    let inner: any AdaptationObserver
    let board: LabelBoard
    let errorRate: Double
    private var random: SeededRandom
    /// The true outcome of each attempt labelled in the current task, by index (cleared per task).
    var truth: [Int: Bool] = [:]
    /// Labels given, and how many of them were wrong.
    private(set) var labels = 0, wrong = 0

    init(inner: any AdaptationObserver, board: LabelBoard, errorRate: Double, seed: UInt64) {
        self.inner = inner; self.board = board; self.errorRate = errorRate
        random = SeededRandom(seed: seed, stream: 0x1ABE1)
    }

    func attemptNeedsLabel(_ plan: TaskPlan, _ report: AttemptReport) {
        guard let slot = board.slot(task: plan.id, attempt: report.index) else { return }
        let wrongOne = random.uniform(0, 1) < errorRate
        truth[report.index] = slot.robotSuccess
        labels += 1
        if wrongOne { wrong += 1 }
        _ = try? board.post(task: plan.id, attempt: report.index, success: slot.robotSuccess != wrongOne, by: "ttad-lab")
    }

    func attemptStarted(_ plan: TaskPlan, index: Int, temperature: Double) { inner.attemptStarted(plan, index: index, temperature: temperature) }
    func attemptFinished(_ plan: TaskPlan, _ report: AttemptReport) { inner.attemptFinished(plan, report) }
    func updateFinished(_ plan: TaskPlan, _ update: UpdateSummary) { inner.updateFinished(plan, update) }
    func checkpointEvent(_ event: CheckpointEvent, taskId: String?) { inner.checkpointEvent(event, taskId: taskId) }
    func heartbeat() { inner.heartbeat() }
}
