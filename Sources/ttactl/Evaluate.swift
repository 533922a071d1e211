import ArgumentParser
import Foundation
import Wire

/// `ttactl evaluate`: K greedy (T=0) attempts on a fixed evaluation set, no update; prints the
/// success rate with its 95% Wilson interval and the mean steps to success.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate the live policy: K greedy attempts on fixed task seeds, no update.",
        discussion: """
            The same --seed (default 0) gives the same K tasks every time, so an evaluation before \
            and one after adaptation compare like with like (`ttactl report` lists them). \
            Exit status: 0 the evaluation finished (done); 1 the daemon refused it; 2 it ended \
            failed, cancelled or interrupted; 69 no daemon answered; 75 gave up waiting (it goes on); \
            77 the daemon's socket refused this user.
            """)

    @OptionGroup var connection: Connection
    @Option(help: "Task family, as the robot-config names it (e.g. reach).") var task: String
    @Option(help: "Robot (robot-config name); default: the daemon's default robot.") var robot: String?
    @Option(name: .customLong("tasks"), help: "K, the number of evaluation tasks (1-500).") var tasks: Int = EvaluateArgs.defaultTasks
    @Option(name: .customLong("param"), help: "Task parameter NAME=VALUE (repeatable), e.g. target_x=0.1.") var params: [String] = []
    @Option(name: .customLong("dynamics"), help: "Dynamics factor NAME=VALUE (repeatable), as for submit.") var dynamics: [String] = []
    @Option(help: "The evaluation set's seed: the same seed, the same K tasks.") var seed: UInt64?
    @Option(help: "0 (lowest) to 9.") var priority: Int?
    @Flag(help: "Return once queued; do not wait for the result.") var noWait = false
    @Option(help: "Seconds to wait for the evaluation to finish.") var waitTimeout: Double = 600

    /// One finished evaluation's numbers: what `--json` prints once it ended, and a row of
    /// `ttactl report`'s evaluation table (`EvaluationRow`).
    struct Summary: Codable {
        var taskId: String
        var state: String
        /// When it finished (unix seconds; submitted, if it never finished).
        var at: Double
        var robot: String
        var task: String
        var dynamics: [String: Double]
        var tasks: Int
        var successes: Int
        var successRate: Double
        /// The 95% Wilson score interval of the success rate.
        var successLow: Double
        var successHigh: Double
        /// Mean steps of the successful attempts (absent when none succeeded).
        var meanStepsToSuccess: Double?
        var checkpoint: String?
    }

    func validate() throws {
        guard (1...500).contains(tasks) else { throw ValidationError("--tasks \(tasks): expected 1 to 500") }
        guard waitTimeout > 0, waitTimeout.isFinite else { throw ValidationError("--wait-timeout \(waitTimeout): expected a positive number of seconds") }
    }

    func run() throws {
        let args = EvaluateArgs(robot: robot, task: task, params: try Submit.pairs(params, "--param"),
                                dynamics: try Submit.pairs(dynamics, "--dynamics"), tasks: tasks, seed: seed, priority: priority)
        // Subscribe before queueing so its task_finished is not missed.
        let subscriber = try EventSubscriber(endpoint: connection.events)
        Thread.sleep(forTimeInterval: 0.05)  // let the subscription reach the publisher
        let client = try connection.client()
        let accepted = try TTACtl.run { try client.call(Request(operation: .evaluate, args: .evaluate(args)), as: EvaluateResult.self) }
        if !connection.json {
            print("evaluation \(accepted.taskId) queued (position \(accepted.position)): \(accepted.tasks) greedy attempts (T=0), "
                  + "evaluation seed \(accepted.seed), checkpoint \(accepted.checkpoint ?? "-")")
            fflush(nil)
        }
        if noWait {
            if connection.json { printJSON(accepted) }
            return
        }
        let info = try wait(for: accepted.taskId, subscriber: subscriber, client: client)
        let summary = Self.summarize(info)
        if connection.json { printJSON(summary) } else { print(Self.describe(summary)) }
        if info.state != "done" { throw Exit.taskNotDone }
    }

    /// Waits for the evaluation's `task_finished` (polling `task` when events go quiet) until
    /// `--wait-timeout`; exits 75 when it is still queued or running then.
    private func wait(for taskId: String, subscriber: EventSubscriber, client: WireClient) throws -> TaskInfo {
        let clock = ContinuousClock()
        let end = clock.now + .milliseconds(Int(waitTimeout * 1000))
        let ask = { try TTACtl.run { try client.call(Request(operation: .task, args: .task(TaskRef(taskId: taskId))), as: TaskInfo.self) } }
        while clock.now < end {
            let remaining = end - clock.now
            guard let frames = try subscriber.receiveFrames(deadline: min(.seconds(2), remaining)) else {
                let info = try ask()
                if !["queued", "running"].contains(info.state) { return info }
                continue
            }
            if let event = try? Event.decode(frames), event.taskId == taskId, event.kind == .taskFinished { break }
        }
        let info = try ask()
        if ["queued", "running"].contains(info.state) {
            warn("gave up waiting after \(Int(waitTimeout)) s; evaluation \(taskId) goes on (`ttactl task \(taskId)`)")
            throw Exit.waitTimedOut
        }
        return info
    }

    /// The evaluation's numbers from its recorded attempts (attempt k: evaluation task k).
    static func summarize(_ info: TaskInfo) -> Summary {
        let successes = info.attempts.filter(\.success)
        let n = info.attempts.count
        let (low, high) = wilson(successes: successes.count, of: n)
        return Summary(taskId: info.taskId, state: info.state, at: info.finishedAt ?? info.submittedAt, robot: info.robot, task: info.task, dynamics: info.dynamics,
                       tasks: n, successes: successes.count, successRate: n == 0 ? 0 : Double(successes.count) / Double(n),
                       successLow: low, successHigh: high,
                       meanStepsToSuccess: successes.isEmpty ? nil : Double(successes.map(\.steps).reduce(0, +)) / Double(successes.count),
                       checkpoint: info.attempts.first?.checkpoint ?? info.checkpoint)
    }

    /// The 95% Wilson score interval of `successes` out of `n` ((0, 1) when n is 0).
    static func wilson(successes: Int, of n: Int, z: Double = 1.959964) -> (Double, Double) {
        guard n > 0 else { return (0, 1) }
        let p = Double(successes) / Double(n), nn = Double(n), z2 = z * z
        let centre = (p + z2 / (2 * nn)) / (1 + z2 / nn)
        let half = z * ((p * (1 - p) / nn + z2 / (4 * nn * nn)).squareRoot()) / (1 + z2 / nn)
        return (max(0, centre - half), min(1, centre + half))
    }

    static func describe(_ s: Summary) -> String {
        let steps = s.meanStepsToSuccess.map { String(format: "%.1f", $0) } ?? "-"
        return String(format: "evaluation %@ %@: %d/%d successes, %.0f%% (95%% CI %.0f-%.0f%%), mean steps to success %@, checkpoint %@",
                      s.taskId, s.state, s.successes, s.tasks, s.successRate * 100, s.successLow * 100, s.successHigh * 100,
                      steps, s.checkpoint ?? "-")
    }
}
