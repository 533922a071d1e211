import Adaptation
import Foundation
import History
import Prometheus
import Synchronization

/// The daemon's Prometheus metrics (docs/metrics.md): counters started from the history so they
/// survive a restart, gauges of the last update and the recent results per robot and task, and
/// histograms of step turnaround and update time, in one swift-prometheus registry.
///
/// Safe from any thread. `estop()` is one atomic add on a counter made at start-up, so the e-stop
/// path takes no lock a scrape (or anything else here) holds. A scrape (`exposition`) reads
/// snapshots only: the registry's own copy of its metrics and the `Gauges` it is handed.
final class DaemonMetrics: Sendable {
    /// What a scrape reads from the rest of the daemon at that moment: the same snapshots `status`
    /// reads (the adaptation side's published status, the queue's length, stalled loops).
    struct Gauges: Sendable {
        var health: String
        var queued: Int
        var queueCapacity: Int
        var adapting: Bool
        var liveStepByRobot: [String: Int]
    }

    /// Every metric's help text, by name: the registry insists one name has one help text.
    static let help: [String: String] = [
        "ttad_tasks_total": "Tasks that ended, by kind (training, evaluation) and final state (done, failed, cancelled, interrupted).",
        "ttad_attempts_total": "Attempts that ended, by outcome (success, failure, safety_abort, hardware_fault, estop, cancelled).",
        "ttad_updates_total": "Policy updates after a task, by result (accepted, refused, skipped).",
        "ttad_promotions_total": "Candidate checkpoints promoted to last good by the gate.",
        "ttad_rollbacks_total": "Rollbacks of a live policy (the gate's, a refused update's, a person's, a start-up fallback).",
        "ttad_estops_total": "E-stops received since this daemon started (the history keeps no e-stop record).",
        "ttad_queued_tasks": "Tasks waiting in the queue.",
        "ttad_queue_capacity_tasks": "How many tasks the queue holds (queue_capacity).",
        "ttad_task_success_ratio": "Success rate of the latest finished training tasks per robot and task (metrics.window_tasks of them).",
        "ttad_task_mean_reward": "Mean attempt reward of the latest finished training tasks per robot and task (metrics.window_tasks of them).",
        "ttad_last_update_approx_kl": "Approximate KL divergence of the latest update that ran.",
        "ttad_last_update_clip_fraction": "Fraction of samples whose ratio was clipped in the latest update that ran.",
        "ttad_live_checkpoint_step": "Adaptation step (updates applied since the base policy) of each robot's live checkpoint.",
        "ttad_health": "1 for the daemon's current health (ok, degraded, estopped), 0 for the others.",
        "ttad_adapting": "1 while updates are made, 0 while paused.",
        "ttad_step_turnaround_seconds": "Time from one robot step to the next within an attempt (policy, safety envelope, robot).",
        "ttad_update_duration_seconds": "Wall time of one PPO update.",
    ]

    /// The health states `ttad_health` has a series for.
    static let healthStates = ["ok", "degraded", "estopped"]

    private let registry = PrometheusCollectorRegistry()
    private let estops: Counter
    private let stepTurnaround: ValueHistogram
    private let updateDuration: ValueHistogram
    private let window: Mutex<RecentResults>
    /// When the running attempt's last step happened (the control loop's thread writes it).
    private let lastStep = Mutex<ContinuousClock.Instant?>(nil)

    /// Starts every counter from `counts` (the history's), so a restart does not reset them.
    init(counts: HistoryCounts, windowTasks: Int) {
        estops = registry.makeCounter(descriptor: Self.descriptor("ttad_estops_total"))
        // Robot steps take milliseconds (MuJoCo: tens of microseconds); updates take tenths of seconds to seconds.
        stepTurnaround = registry.makeValueHistogram(
            descriptor: Self.descriptor("ttad_step_turnaround_seconds"),
            buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1])
        updateDuration = registry.makeValueHistogram(
            descriptor: Self.descriptor("ttad_update_duration_seconds"), buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30])
        window = Mutex(RecentResults(size: windowTasks))

        // Every series a dashboard plots exists from the start, at its count from the history.
        for state in ["done", "failed", "cancelled", "interrupted"] {
            for kind in [TaskRow.training, TaskRow.evaluation, TaskRow.demonstration] {
                counter("ttad_tasks_total", [("kind", kind), ("state", state)]).increment(by: Int64(counts.tasks[.init(kind: kind, state: state)] ?? 0))
            }
        }
        for outcome in ["success", "failure", "safety_abort", "hardware_fault", "estop", "cancelled"] {
            counter("ttad_attempts_total", [("outcome", outcome)]).increment(by: Int64(counts.attempts[outcome] ?? 0))
        }
        counter("ttad_updates_total", [("result", "accepted")]).increment(by: Int64(counts.updatesAccepted))
        counter("ttad_updates_total", [("result", "refused")]).increment(by: Int64(counts.updatesRefused))
        counter("ttad_updates_total", [("result", "skipped")]).increment(by: Int64(counts.updatesSkipped))
        counter("ttad_promotions_total").increment(by: Int64(counts.checkpointEvents["promoted"] ?? 0))
        counter("ttad_rollbacks_total").increment(by: Int64(counts.checkpointEvents["rollback"] ?? 0))
        if let last = counts.lastUpdate { setLastUpdate(approxKL: last.approxKL, clipFraction: last.clipFraction) }
        // Oldest first, so the newest end up last in each window.
        for task in counts.recentTasks.reversed() {
            record(robot: task.robot, task: task.task, successRate: task.successRate, meanReward: task.meanReward)
        }
        refresh(Gauges(health: "ok", queued: 0, queueCapacity: 0, adapting: true, liveStepByRobot: [:]))
    }

    // MARK: Recording (the control loop's thread, the request threads)

    /// An e-stop was received: one atomic add, never a lock.
    func estop() { estops.increment() }

    /// A task ended (`state` as recorded); a finished training task's result joins its window.
    func taskFinished(_ plan: TaskPlan, state: TaskState, outcome: TaskOutcome?) {
        counter("ttad_tasks_total", [("kind", plan.kind), ("state", state.rawValue)]).increment()
        if !plan.evaluation, !plan.demonstration, state == .done, let outcome {
            record(robot: plan.robot, task: plan.task, successRate: outcome.successRate, meanReward: outcome.meanReward)
        }
        lastStep.withLock { $0 = nil }
    }

    /// A queued task was cancelled before it started (recorded `cancelled`).
    func taskCancelledBeforeStart() {
        counter("ttad_tasks_total", [("kind", TaskRow.training), ("state", TaskState.cancelled.rawValue)]).increment()
    }

    /// An attempt ended.
    func attemptFinished(_ report: AttemptReport) {
        counter("ttad_attempts_total", [("outcome", HistoryCounts.outcome(success: report.success, abortReason: report.abortReason))]).increment()
    }

    /// An attempt began: the next step's turnaround counts from now (attempts side by side share
    /// one clock, since their steps are batched; the gap between tasks is never counted).
    func attemptStarted() { lastStep.withLock { $0 = .now } }

    /// A robot step happened (the observer's heartbeat): observes the time since the last one.
    func step() {
        let now = ContinuousClock.now
        let previous = lastStep.withLock { last -> ContinuousClock.Instant? in
            defer { if last != nil { last = now } }
            return last
        }
        if let previous { stepTurnaround.record(Self.seconds(now - previous)) }
    }

    /// The update after a task's attempts: accepted, refused or skipped, and its numbers.
    func updateFinished(_ summary: UpdateSummary) {
        guard let report = summary.report else {
            counter("ttad_updates_total", [("result", "skipped")]).increment()
            return
        }
        counter("ttad_updates_total", [("result", summary.accepted ? "accepted" : "refused")]).increment()
        setLastUpdate(approxKL: report.approxKL, clipFraction: report.clipFraction)
        updateDuration.record(report.seconds)
    }

    /// A checkpoint event: promotions and rollbacks are counted.
    func checkpointEvent(_ kind: CheckpointEvent.Kind) {
        switch kind {
        case .promoted: counter("ttad_promotions_total").increment()
        case .rollback: counter("ttad_rollbacks_total").increment()
        default: break
        }
    }

    // MARK: Scraping

    /// The Prometheus text exposition (format 0.0.4) after setting the gauges from `gauges`.
    func exposition(_ gauges: Gauges) -> [UInt8] {
        refresh(gauges)
        return registry.emitToBuffer()
    }

    private func refresh(_ gauges: Gauges) {
        for state in Self.healthStates { gauge("ttad_health", [("status", state)]).set(to: gauges.health == state ? 1 : 0) }
        gauge("ttad_queued_tasks").set(to: Double(gauges.queued))
        gauge("ttad_queue_capacity_tasks").set(to: Double(gauges.queueCapacity))
        gauge("ttad_adapting").set(to: gauges.adapting ? 1 : 0)
        for (robot, step) in gauges.liveStepByRobot { gauge("ttad_live_checkpoint_step", [("robot", robot)]).set(to: Double(step)) }
    }

    private func record(robot: String, task: String, successRate: Double, meanReward: Double) {
        let (rate, reward) = window.withLock { $0.add(robot: robot, task: task, successRate: successRate, meanReward: meanReward) }
        gauge("ttad_task_success_ratio", [("robot", robot), ("task", task)]).set(to: rate)
        gauge("ttad_task_mean_reward", [("robot", robot), ("task", task)]).set(to: reward)
    }

    private func setLastUpdate(approxKL: Double, clipFraction: Double) {
        gauge("ttad_last_update_approx_kl").set(to: approxKL)
        gauge("ttad_last_update_clip_fraction").set(to: clipFraction)
    }

    private func counter(_ name: String, _ labels: [(String, String)] = []) -> Counter {
        registry.makeCounter(descriptor: Self.descriptor(name), labels: labels)
    }

    private func gauge(_ name: String, _ labels: [(String, String)] = []) -> Gauge {
        registry.makeGauge(descriptor: Self.descriptor(name), labels: labels)
    }

    /// The full name (units already in it, as Prometheus' conventions ask) and its help text.
    private static func descriptor(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help[name]!)
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
