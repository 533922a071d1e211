import ArgumentParser
import Foundation
import Wire

/// `ttactl demo`: record demonstrations; a person at the robot's bridge controller drives every
/// step of `--count` attempts (bridge protocol 1.2), stored as one set for later updates to clone.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record demonstrations: a person drives --count attempts; stored as one set.",
        discussion: """
            Queued like a task (kind `demonstration`): no update and no gate record; the whole \
            episodes are stored (`ttactl demos` lists them) and every later update of the robot on \
            the task family clones them. Needs a bridge robot whose controller announces the \
            `demonstration` feature. Exit status: 0 queued (with --wait: recorded); 1 the daemon \
            refused it; 2 it ended failed, cancelled or interrupted; 69 no daemon answered; 75 gave \
            up waiting (it goes on); 77 the daemon's socket refused this user.
            """)

    @OptionGroup var connection: Connection
    @Option(help: "Robot (robot-config name); default: the daemon's default robot.") var robot: String?
    @Option(help: "Task family, as the robot-config names it (e.g. reach).") var task: String
    @Option(help: "Demonstration attempts (1-100).") var count: Int = 1
    @Option(name: .customLong("param"), help: "Task parameter NAME=VALUE (repeatable), e.g. target_x=0.1.") var params: [String] = []
    @Option(name: .customLong("dynamics"), help: "Dynamics factor NAME=VALUE (repeatable), as for submit.") var dynamics: [String] = []
    @Option(help: "The task's seed (default: random).") var seed: UInt64?
    @Option(help: "0 (lowest) to 9.") var priority: Int?
    @Flag(help: "Wait until the demonstrations are recorded.") var wait = false
    @Option(help: "Seconds to wait with --wait.") var waitTimeout: Double = 600

    func validate() throws {
        guard (1...100).contains(count) else { throw ValidationError("--count \(count): expected 1 to 100") }
        guard waitTimeout > 0, waitTimeout.isFinite else { throw ValidationError("--wait-timeout \(waitTimeout): expected a positive number of seconds") }
    }

    func run() throws {
        let args = DemoArgs(robot: robot, task: task, count: count, params: try Submit.pairs(params, "--param"),
                            dynamics: try Submit.pairs(dynamics, "--dynamics"), seed: seed, priority: priority)
        let client = try connection.client()
        let accepted = try TTACtl.run { try client.call(Request(operation: .demo, args: .demo(args)), as: DemoResult.self) }
        guard wait else {
            if connection.json { printJSON(accepted) } else {
                print("demonstration \(accepted.taskId) queued (position \(accepted.position)): \(accepted.count) attempt(s) a person drives")
            }
            return
        }
        if !connection.json {
            print("demonstration \(accepted.taskId) queued (position \(accepted.position)); waiting for \(accepted.count) attempt(s)")
            fflush(nil)
        }
        // Polled, each ask bounded by --timeout, the whole wait by --wait-timeout.
        let end = ContinuousClock.now + .milliseconds(Int(waitTimeout * 1000))
        var info: TaskInfo
        repeat {
            info = try TTACtl.run { try client.call(Request(operation: .task, args: .task(TaskRef(taskId: accepted.taskId))), as: TaskInfo.self) }
            if !["queued", "running"].contains(info.state) { break }
            Thread.sleep(forTimeInterval: 0.2)
        } while ContinuousClock.now < end
        if ["queued", "running"].contains(info.state) {
            warn("gave up waiting after \(Int(waitTimeout)) s; demonstration \(accepted.taskId) goes on (`ttactl task \(accepted.taskId)`)")
            throw Exit.waitTimedOut
        }
        if connection.json { printJSON(info) } else {
            let successes = info.attempts.filter(\.success).count
            print("demonstration \(info.taskId) \(info.state): \(info.attempts.count) attempt(s), \(successes) reached the goal"
                  + (info.detail.map { "; \($0)" } ?? ""))
        }
        if info.state != "done" { throw Exit.taskNotDone }
    }
}

/// `ttactl demos`: the stored demonstration sets; `ttactl demos add` stores one from a file,
/// `ttactl demos remove ID` deletes one.
struct Demos: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List stored demonstration sets, add one from a file, or remove one.",
        subcommands: [List.self, Add.self, Remove.self], defaultSubcommand: List.self)

    /// `ttactl demos [list]`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List stored demonstration sets (and damaged files).")
        @OptionGroup var connection: Connection
        @Option(help: "Only this robot's sets.") var robot: String?
        @Option(help: "Only this task family's sets.") var task: String?

        func run() throws {
            let result = try TTACtl.run {
                try connection.client().call(Request(operation: .demos, args: .demos(DemosQuery(robot: robot, task: task))), as: DemonstrationsResult.self)
            }
            if connection.json { printJSON(result); return }
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
            print("id               robot        task      episodes  steps  successes  source               created")
            for s in result.sets {
                let created = formatter.string(from: Date(timeIntervalSince1970: s.createdAt))
                func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
                func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
                print("\(pad(s.id, 16)) \(pad(s.robot, 12)) \(pad(s.task, 9)) \(right("\(s.episodes)", 8)) \(right("\(s.steps)", 6))  "
                      + "\(right(s.successes.map(String.init) ?? "-", 9))  \(pad(s.source, 20)) \(created)")
            }
            if result.sets.isEmpty { print("(no demonstrations)") }
            for d in result.damaged { print("DAMAGED \(d.path): \(d.reason) (never trained on)") }
        }
    }

    /// `ttactl demos add --robot R --task T FILE`.
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store a demonstration set file for a robot and task family; later updates clone it.",
            discussion: """
                FILE is a demonstration set (safetensors, docs/demonstration-format.md): one a daemon \
                stored (<state>/demonstrations/<robot>/<id>.safetensors) or one the Python SDK wrote \
                (ttad.demonstrations.encode; Client.add_demonstrations also reads .npz and LeRobot-style \
                parquet). The daemon checks its sizes against the robot, every number and length, and \
                its checksums when it states them, and refuses it naming the field (exit 1, nothing stored).
                """)
        @OptionGroup var connection: Connection
        @Option(help: "The robot (robot-config name) the episodes are of.") var robot: String
        @Option(help: "The task family the episodes are of.") var task: String
        @Argument(help: "The demonstration set file.") var file: String

        func validate() throws {
            guard FileManager.default.isReadableFile(atPath: file) else { throw ValidationError("\(file): no readable file") }
        }

        func run() throws {
            let bytes = try AttachmentFile.read(file, for: "add_demonstrations")
            // No sha256: a ZeroMQ frame arrives whole, and the file's own checksums are checked.
            let args = AddDemonstrationsArgs(robot: robot, task: task, fileName: (file as NSString).lastPathComponent)
            let added = try TTACtl.run {
                try connection.client().call(Request(operation: .addDemonstrations, args: .addDemonstrations(args), attachment: bytes),
                                             as: DemonstrationEntry.self)
            }
            if connection.json { printJSON(added); return }
            print("stored demonstration set \(added.id): \(added.episodes) episode(s), \(added.steps) steps of \(added.task) on \(added.robot) "
                  + "from \(added.source)")
        }
    }

    /// `ttactl demos remove ID`.
    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a stored demonstration set.")
        @OptionGroup var connection: Connection
        @Argument(help: "The set's id, as `ttactl demos` lists it.") var id: String

        func run() throws {
            let ack = try TTACtl.run {
                try connection.client().call(Request(operation: .removeDemonstrations, args: .demonstration(DemonstrationRef(id: id))), as: AckResult.self)
            }
            if connection.json { printJSON(ack) } else { print(ack.message) }
        }
    }
}
