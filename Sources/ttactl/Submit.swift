import ArgumentParser
import Foundation
import Wire

/// `ttactl submit`: queue a task and follow its attempts live.
struct Submit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Submit a task: N attempts at scheduled temperatures, then an update. Shows live progress.",
        discussion: """
            Exit status: 0 the task finished (done); 1 the daemon refused it; 2 it ended failed, \
            cancelled or interrupted; 69 no daemon answered; 75 gave up waiting (the task goes on); \
            77 the daemon's socket refused this user.
            """)

    @OptionGroup var connection: Connection
    @Option(help: "Task family, as the robot-config names it (e.g. reach).") var task: String
    @Option(help: "Robot (robot-config name); default: the daemon's default robot.") var robot: String?
    @Option(name: .customLong("param"), help: "Task parameter NAME=VALUE (repeatable), e.g. target_x=0.1.") var params: [String] = []
    @Option(name: .customLong("dynamics"), help: "Dynamics factor NAME=VALUE (repeatable): a simulated robot's built-in scales, or the factors a bridge robot-config declares, e.g. damping_scale=3.") var dynamics: [String] = []
    @Option(help: "N, attempts (1-64); default from the robot-config.") var attempts: Int?
    @Option(help: "T_0, the first attempt's temperature.") var temperatureBase: Double?
    @Option(help: "T_{N-1} - T_0.") var temperatureRange: Double?
    @Option(help: "efficiency or binary.") var reward: String?
    @Flag(inversion: .prefixedNo, help: "Update the policy from the attempts (default from the robot-config).") var adapt: Bool?
    @Option(help: "0 (lowest) to 9.") var priority: Int?
    @Option(help: "Seed for sampling and the task's randomness.") var seed: UInt64?
    @Flag(help: "Return once queued; do not follow progress.") var noWait = false
    @Option(help: "Seconds to wait for the task to finish.") var waitTimeout: Double = 600

    func run() throws {
        let args = SubmitArgs(robot: robot, task: task, params: try Self.pairs(params, "--param"),
                              dynamics: try Self.pairs(dynamics, "--dynamics"), attempts: attempts,
                              temperatureBase: temperatureBase, temperatureRange: temperatureRange, reward: reward,
                              adapt: adapt, priority: priority, seed: seed)
        // Subscribe before submitting so no event of this task is missed.
        let subscriber = try EventSubscriber(endpoint: connection.events)
        Thread.sleep(forTimeInterval: 0.05)  // let the subscription reach the publisher

        let client = try connection.client()
        let accepted = try TTACtl.run { try client.call(Request(operation: .submit, args: .submit(args)), as: SubmitResult.self) }
        if !connection.json {
            let temps = accepted.temperatures.map { String(format: "%.2f", $0) }.joined(separator: ", ")
            print("task \(accepted.taskId) queued (position \(accepted.position)): \(accepted.attempts) attempts at T = \(temps), \(accepted.rewardMode) reward, adapt \(accepted.adapt ? "on" : "off")")
        }
        if noWait {
            if connection.json { printJSON(accepted) }
            return
        }
        let final = try follow(accepted, subscriber: subscriber, client: client)
        if connection.json { printJSON(final) }
        if final.state != "done" { throw Exit.taskNotDone }
    }

    /// Prints each event of the task until it finishes; polls `task` when events go quiet.
    private func follow(_ accepted: SubmitResult, subscriber: EventSubscriber, client: WireClient) throws -> TaskInfo {
        let clock = ContinuousClock()
        let end = clock.now + .milliseconds(Int(waitTimeout * 1000))
        var done = 0
        while clock.now < end {
            guard let frames = try subscriber.receiveFrames(deadline: .seconds(2)) else {
                // Quiet: maybe the task ended while we were not listening.
                let info = try TTACtl.run { try client.call(Request(operation: .task, args: .task(TaskRef(taskId: accepted.taskId))), as: TaskInfo.self) }
                if !["queued", "running"].contains(info.state) {
                    // It ended while no event reached us (e.g. cancelled from another shell): say so.
                    if !connection.json {
                        print("task \(info.taskId) \(info.state)" + (info.detail.map { " (\($0))" } ?? ""))
                    }
                    return info
                }
                continue
            }
            guard let event = try? Event.decode(frames), event.taskId == accepted.taskId else { continue }
            guard !connection.json else {
                if event.kind == .taskFinished { break } else { continue }
            }
            switch event.kind {
            case .taskStarted:
                print("running on checkpoint \(event.checkpoint ?? "-")")
            case .attemptFinished:
                done += 1
                let bar = String(repeating: "#", count: done) + String(repeating: ".", count: max(0, accepted.attempts - done))
                let mark = event.success == true ? "success" : (event.abortReason.map { "aborted: \($0)" } ?? "failed ")
                print(String(format: "  [%@] attempt %2d/%d  T=%.2f  %@ %4d steps  reward %.3f",
                             bar, (event.attempt ?? 0) + 1, accepted.attempts, event.temperature ?? 0, mark, event.steps ?? 0, event.reward ?? 0))
            case .updateFinished:
                if let update = event.update { print("  " + Self.describe(update)) }
            case .checkpoint:
                print("  checkpoint \(event.state ?? ""): \(event.checkpoint ?? "-") (\(event.message ?? ""))")
            case .taskFinished:
                print(String(format: "task %@ %@: success %.0f%%, mean reward %.3f", accepted.taskId, event.state ?? "?",
                             (event.successRate ?? 0) * 100, event.meanReward ?? 0) + (event.message.map { " (\($0))" } ?? ""))
            default: break
            }
            fflush(nil)  // progress must show even when stdout is a pipe
            if event.kind == .taskFinished { break }
        }
        let info = try TTACtl.run { try client.call(Request(operation: .task, args: .task(TaskRef(taskId: accepted.taskId))), as: TaskInfo.self) }
        if ["queued", "running"].contains(info.state) {
            warn("gave up waiting after \(Int(waitTimeout)) s; task \(accepted.taskId) goes on (`ttactl task \(accepted.taskId)`)")
            throw Exit.waitTimedOut
        }
        return info
    }

    static func describe(_ update: UpdateInfo) -> String {
        if let skipped = update.skipped { return "no update: \(skipped)" }
        if update.accepted {
            // Older daemons and older rows leave out the sample count, the reference KL and the early stop.
            let samples = update.samples.map { " over \($0) steps" + (update.replaySamples.map { " (and \($0) reused from earlier groups)" } ?? "") } ?? ""
            let reference = update.klToReference.map { String(format: ", KL to reference %.4f", $0) } ?? ""
            let stopped = update.earlyStopped == true ? " (stopped early at target_kl)" : ""
            let retried = update.klRetries.map { " after \($0) tr\($0 == 1 ? "y" : "ies") refused for KL (rate / 1.5 each)" } ?? ""
            let person = update.interventionSamples.map { cloned in
                ", cloning \(cloned) steps a person drove" + (update.demonstrationSamples.map { " (\($0) from stored demonstrations)" } ?? "")
            } ?? ""
            let cloned = update.cloneSteps.map { steps in
                update.cloneRefusal.map { "; cloning phase put back: \($0)" }
                    ?? ", then \(steps) cloning steps on \(update.cloneSamples ?? 0) of a person's steps" + (update.cloneLoss.map { String(format: " (loss %.3f)", $0) } ?? "")
            } ?? ""
            return String(format: "update accepted%@: approx KL %.4f, clip fraction %.2f, grad norm %.3f%@, %d epochs%@%@ in %.1f ms%@ -> %@",
                          retried, update.approxKL, update.clipFraction, update.gradNorm, reference, update.epochs, samples, person,
                          update.seconds * 1000, stopped + cloned, update.candidate ?? "-")
        }
        let retries = update.klRetries.map { " (after \($0) more tr\($0 == 1 ? "y" : "ies") at smaller rates)" } ?? ""
        return "update refused\(retries): \(update.refusal ?? "?")"
    }

    static func pairs(_ items: [String], _ flag: String) throws -> [String: Double]? {
        guard !items.isEmpty else { return nil }
        var out: [String: Double] = [:]
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let value = Double(parts[1]), !parts[0].isEmpty else {
                throw ValidationError("\(flag) \(item): expected NAME=NUMBER")
            }
            out[parts[0]] = value
        }
        return out
    }
}
