import Foundation
import Learning
import Policy
import Robots

/// Runs the N attempts of one task: attempt i at temperature T_i, every step through the robot's
/// safety envelope. Simulated robots run all N side by side with one batched policy call per step;
/// a real robot (the bridge) runs them one after another.
struct AttemptRunner {
    let robot: any Robot
    let policy: Policy
    let reward: any RewardFunction
    let checkpoint: String?
    /// With `success_judged_by: operator`: where attempts that need a label are posted, and how
    /// long their labels count (nil: the robot judges, as ever).
    var labels: (board: LabelBoard, task: String, deadlineSeconds: Double)?
    /// `exploration_noise_exponent`: above 0, each sampled attempt draws its exploration noise as
    /// one `ColoredNoise` sequence of `max_steps` steps (at most `ColoredNoise.longestSequence`,
    /// repeated past it); 0 draws independently at every step.
    var noiseExponent = 0.0

    /// What one attempt produced: the report for people and the trajectory for learning.
    struct Result {
        var report: AttemptReport
        var trajectory: Trajectory
        var abort: AbortReason?
        /// Cut short by a cancel or shutdown (not the policy's doing).
        var cancelled: Bool
    }

    func run(_ plan: TaskPlan, temperatures: [Double], observer: any AdaptationObserver,
             cancellation: Cancellation, rng: inout PolicyRNG) throws -> [Result] {
        let task = TaskRequest(name: plan.task, params: plan.params, dynamics: plan.dynamics, seed: plan.seed,
                               demonstration: plan.demonstration)
        let width = robot.supportsParallelAttempts ? temperatures.count : 1
        var results: [Result] = []
        var start = 0
        while start < temperatures.count {
            // After an e-stop, a cancel or shutdown no further attempt starts: a robot that runs
            // attempts one after another would otherwise be reset (or fail to) for each.
            if cancellation.reason != nil || results.contains(where: { $0.abort == .estop }) { break }
            let indices = Array(start..<min(start + width, temperatures.count))
            results += try runGroup(plan, task: task, indices: indices, temperatures: temperatures,
                                    observer: observer, cancellation: cancellation, rng: &rng)
            start += width
        }
        return results
    }

    /// Steps `indices` in lockstep until each is done.
    private func runGroup(_ plan: TaskPlan, task: TaskRequest, indices: [Int], temperatures: [Double],
                          observer: any AdaptationObserver, cancellation: Cancellation,
                          rng: inout PolicyRNG) throws -> [Result] {
        let config = robot.config
        let obsSize = config.observationSize
        var attempts: [any RobotAttempt] = []
        defer { attempts.forEach { $0.stop() } }
        var observations: [[Float]] = []
        var finished: [StepOutcome?] = Array(repeating: nil, count: indices.count)
        var cancelled = Array(repeating: false, count: indices.count)
        // Colored noise: one sequence per sampled attempt, drawn before any reset so that a real
        // robot never waits between its reset and its first step.
        var noise: [ColoredNoise?] = indices.map { index in
            guard noiseExponent > 0, temperatures[index] > 0 else { return nil }
            return ColoredNoise(exponent: noiseExponent, length: min(config.maxSteps, ColoredNoise.longestSequence),
                                dimensions: policy.config.actionSize, rng: &rng)
        }
        for (slot, index) in indices.enumerated() {
            observer.attemptStarted(plan, index: index, temperature: temperatures[index])
            // An evaluation's attempt k runs evaluation task k; a task's attempts share its seed.
            var attemptTask = task
            if let seeds = plan.attemptSeeds { attemptTask.seed = seeds[index] }
            let attempt = try robot.makeAttempt(task: attemptTask, index: index)
            attempts.append(attempt)
            do {
                // The robot-config's reset deadline (bridge: reset_deadline_ms; MuJoCo: 1 s).
                observations.append(try attempt.reset(deadline: config.resetDeadline))
            } catch {
                // A controller that cannot reset is a hardware fault of this attempt, not a crash of the task.
                observations.append([Float](repeating: 0, count: obsSize))
                finished[slot] = StepOutcome(observation: observations[slot], done: true, success: false,
                                             abort: .hardwareFault("reset failed: \(error)"))
            }
        }
        var trajectories = indices.map { Trajectory(observations: [], samples: [], temperature: Float(temperatures[$0]), reward: 0) }
        var batch = [Float](repeating: 0, count: indices.count * obsSize)
        var batchTemperatures = [Float](repeating: 0, count: indices.count)
        var batchNoise: [Float] = []

        while finished.contains(where: { $0 == nil }) {
            observer.heartbeat()
            var live = finished.indices.filter { finished[$0] == nil }
            if let reason = cancellation.reason {
                // E-stop, a person's cancel, or shutdown: stop the robot now, mid-attempt.
                for slot in live {
                    attempts[slot].stop()
                    finished[slot] = StepOutcome(observation: observations[slot], done: true, success: false,
                                                 abort: reason == .estop ? .estop : nil)
                    cancelled[slot] = true
                }
                break
            }
            // Defence in depth: every backend checks what its robot sends, but whatever one lets
            // through (a wrong size, a NaN or an infinity) ends its attempt here, robot stopped,
            // before the policy, a trajectory or an update can see it.
            var checked: [Int] = []
            for slot in live {
                if let bad = Self.unusable(observations[slot], size: obsSize) {
                    attempts[slot].stop()
                    finished[slot] = StepOutcome(observation: observations[slot], done: true, success: false,
                                                 abort: .hardwareFault(attempts[slot].steps == 0 ? "reset: \(bad)" : "step \(attempts[slot].steps): \(bad)"))
                } else {
                    checked.append(slot)
                }
            }
            live = checked
            if live.isEmpty { continue }
            // One policy call for every attempt still running.
            batch.removeAll(keepingCapacity: true)
            batchTemperatures.removeAll(keepingCapacity: true)
            batchNoise.removeAll(keepingCapacity: true)
            for slot in live {
                batch += observations[slot]
                batchTemperatures.append(Float(temperatures[indices[slot]]))
                // A greedy row ignores its noise; zeros keep the batch's rows aligned.
                if noiseExponent > 0 { batchNoise += noise[slot]?.next() ?? ArraySlice(repeating: 0, count: policy.config.actionSize) }
            }
            let samples = policy.sample(observations: batch, temperatures: batchTemperatures,
                                        noise: noiseExponent > 0 ? batchNoise : nil, rng: &rng)
            for (k, slot) in live.enumerated() {
                trajectories[slot].observations += observations[slot]
                trajectories[slot].samples.append(samples[k])
                var outcome: StepOutcome
                do { outcome = try attempts[slot].step(samples[k].action) } catch {
                    attempts[slot].stop()
                    outcome = StepOutcome(observation: observations[slot], done: true, success: false,
                                          abort: .hardwareFault("step failed: \(error)"))
                }
                // The last observation of an attempt never reaches the policy, but a bad one still
                // makes the attempt a fault, never a success (the check before the policy covers the rest).
                if outcome.done, outcome.abort == nil, let bad = Self.unusable(outcome.observation, size: obsSize) {
                    attempts[slot].stop()
                    outcome = StepOutcome(observation: observations[slot], done: true, success: false,
                                          abort: .hardwareFault("step \(attempts[slot].steps): \(bad)"))
                }
                // A person drove the step: what they executed replaces what ttad sent, which is never trained on.
                if let executed = outcome.executedAction {
                    trajectories[slot].recordIntervention(executed: executed, policy: policy.config)
                }
                observations[slot] = outcome.observation
                if outcome.done { finished[slot] = outcome }
            }
        }

        return indices.indices.map { slot in
            var outcome = finished[slot]!
            let steps = attempts[slot].steps
            // Progress and the margin feed the reward: a non-finite one is a fault of the robot, never a reward.
            var progress = attempts[slot].progress
            if outcome.abort == nil, !cancelled[slot],
               let bad = NonFinite.describe(progress, name: "progress")
                ?? NonFinite.describe(attempts[slot].smallestSafetyMargin, name: "safety margin") {
                attempts[slot].stop()
                outcome.abort = .hardwareFault(bad)
            }
            if let p = progress, !p.isFinite { progress = nil }
            let margin = attempts[slot].smallestSafetyMargin.isFinite ? attempts[slot].smallestSafetyMargin : 0
            let success = outcome.success && outcome.abort == nil && !cancelled[slot]
            let actionChange = Self.actionChange(trajectories[slot].samples, low: config.actionLow, high: config.actionHigh)
            func value(_ success: Bool) -> Double {
                reward.reward(AttemptOutcome(success: success, steps: steps, maxSteps: config.maxSteps, actionChange: actionChange,
                                             safetyMargin: margin, progress: progress))
            }
            // Operator-judged: an attempt that ran to its end waits for a person's word, and counts
            // as a failure until then; a safety abort, a fault or a cancel is a failure needing none.
            let pending = labels != nil && outcome.abort == nil && !cancelled[slot]
            let score = value(success && !pending)
            trajectories[slot].reward = score
            let interruption = outcome.abort.map(AttemptInterruption.aborted) ?? (cancelled[slot] ? .cancelled : nil)
            var report = AttemptReport(index: indices[slot], temperature: temperatures[indices[slot]], steps: steps,
                                       success: success && !pending, reward: score, interruption: interruption, checkpoint: checkpoint,
                                       progress: progress, intervenedSteps: trajectories[slot].intervenedSteps,
                                       interventionsPastLimits: attempts[slot].interventionsPastLimits)
            report.judgedByOperator = labels != nil
            if pending, let labels {
                report.labelDeadline = Date().timeIntervalSince1970 + labels.deadlineSeconds
            }
            observer.attemptFinished(plan, report)
            if let labels {
                // Open after the attempt is recorded, and announced after it is open, so a label
                // that answers the announcement finds its slot.
                if let deadline = report.labelDeadline {
                    labels.board.open(task: labels.task, attempt: report.index, slot: .init(
                        deadline: deadline, robotSuccess: success, rewardIfSuccess: value(true), rewardIfFailure: value(false)))
                    observer.attemptNeedsLabel(plan, report)
                } else {
                    labels.board.settle(task: labels.task, attempt: report.index, why: report.abortReason ?? "a cut-short attempt")
                }
            }
            // An attempt the e-stop ended (seen by the robot before the cancellation) cuts the task short too.
            return Result(report: report, trajectory: trajectories[slot], abort: outcome.abort,
                          cancelled: cancelled[slot] || outcome.abort == .estop)
        }
    }

    /// Why `observation` must not reach the policy (wrong size, or the first non-finite value);
    /// nil when it may.
    static func unusable(_ observation: [Float], size: Int) -> String? {
        guard observation.count == size else { return "observation has \(observation.count) values, expected \(size)" }
        return NonFinite.describe(observation, name: "observation")
    }

    /// Mean over consecutive steps of the squared action change, each dimension over its range:
    /// the smoothness term's C (0 for fewer than two steps).
    static func actionChange(_ samples: [ActionSample], low: [Float], high: [Float]) -> Double {
        guard samples.count > 1, !low.isEmpty else { return 0 }
        var sum = 0.0
        for t in 1..<samples.count {
            for d in low.indices {
                let range = Double(high[d] - low[d])
                guard range > 0 else { continue }
                let change = Double(samples[t].action[d] - samples[t - 1].action[d]) / range
                sum += change * change
            }
        }
        return sum / Double((samples.count - 1) * low.count)
    }
}
