import Learning
import Policy

/// The gate's greedy probe before a promotion (`GreedyProbe`, `gate_probe_tasks`).
extension AdaptationEngine {
    /// What the probe says about a candidate the gate would promote.
    enum ProbeOutcome {
        /// Promote it; its record becomes the last good one's, the text goes into the event.
        case pass(GreedyProbe.Record, String)
        /// Roll it back, for this reason.
        case fail(String)
        /// Neither (a fault, an e-stop, a cancel, an unreadable last good checkpoint): it stays a
        /// candidate, and the gate asks again after its next task.
        case inconclusive(String)
    }

    /// Probes the candidate `checkpoint` (the live `policy`, which ran `plan`'s attempts) and, when
    /// its record is missing or for another checkpoint, key or K, the last good checkpoint
    /// `lastGood`; compares them. Runs on the robot, outside the engine's lock.
    func probeBeforePromotion(_ plan: TaskPlan, lineage: PolicyLineage, policy: Policy, checkpoint: String, lastGood: String?,
                              observer: any AdaptationObserver, cancellation: Cancellation) -> ProbeOutcome {
        let probePlan = GreedyProbe.plan(for: plan, tasks: lineage.profile.settings.gateProbeTasks)
        let key = GreedyProbe.Key(plan)
        guard let lastGood else { return .inconclusive("no last good checkpoint to compare with") }
        var reference = withLock { lineage.gate.probe }
        // Measured again when missing, or taken of another checkpoint, under another key, or of another size (a reload changed K).
        if reference?.checkpoint != lastGood || reference?.key != key || reference?.solved.count != probePlan.attempts {
            let good: Policy
            do { good = try lineage.read(lastGood).policy } catch {
                return .inconclusive("the last good checkpoint \(lastGood) could not be read: \(error)")
            }
            guard let solved = runProbe(probePlan, lineage: lineage, policy: good, checkpoint: lastGood, observer: observer,
                                        cancellation: cancellation) else {
                return .inconclusive("the probe of the last good checkpoint \(lastGood) was cut short or hit a fault")
            }
            let record = GreedyProbe.Record(checkpoint: lastGood, key: key, solved: solved)
            reference = record
            withLock { if lineage.lastGood == lastGood { lineage.gate.probe = record } }
            log(.info, "task \(plan.id): greedy probe of the last good checkpoint \(lastGood): \(record.successes) of \(solved.count) probe tasks solved")
        }
        guard let reference,
              let solved = runProbe(probePlan, lineage: lineage, policy: policy, checkpoint: checkpoint, observer: observer,
                                    cancellation: cancellation) else {
            return .inconclusive("the probe of candidate \(checkpoint) was cut short or hit a fault")
        }
        let record = GreedyProbe.Record(checkpoint: checkpoint, key: key, solved: solved)
        switch GreedyProbe.verdict(candidate: record, lastGood: reference) {
        case .pass(let text): return .pass(record, text)
        case .fail(let text): return .fail(text)
        }
    }

    /// Runs the probe's greedy attempts with `policy`; which probe tasks it solved, or nil when the
    /// probe says nothing (`GreedyProbe.solved`) or the robot could not run it. Its attempts are
    /// not the task's: only heartbeats reach the observer.
    private func runProbe(_ probePlan: TaskPlan, lineage: PolicyLineage, policy: Policy, checkpoint: String,
                          observer: any AdaptationObserver, cancellation: Cancellation) -> [Bool]? {
        let reward = MultiObjectiveReward.make(mode: probePlan.rewardMode, weights: lineage.profile.settings.rewardWeights)
        var rng = PolicyRNG(seed: probePlan.seed)
        let runner = AttemptRunner(robot: lineage.profile.robot, policy: policy, reward: reward, checkpoint: checkpoint)
        guard let results = try? runner.run(probePlan, temperatures: Array(repeating: 0, count: probePlan.attempts),
                                            observer: HeartbeatsOnly(observer), cancellation: cancellation, rng: &rng)
        else { return nil }
        return GreedyProbe.solved(results.map(\.report), expected: probePlan.attempts)
    }
}

/// Passes on only the heartbeats (the watchdog's) of attempts that are not the task's own.
private final class HeartbeatsOnly: AdaptationObserver {
    let inner: any AdaptationObserver
    init(_ inner: any AdaptationObserver) { self.inner = inner }
    func attemptStarted(_ plan: TaskPlan, index: Int, temperature: Double) {}
    func attemptFinished(_ plan: TaskPlan, _ report: AttemptReport) {}
    func updateFinished(_ plan: TaskPlan, _ update: UpdateSummary) {}
    func checkpointEvent(_ event: CheckpointEvent, taskId: String?) {}
    func heartbeat() { inner.heartbeat() }
}
