import Adaptation
import Checkpoints
import Foundation
import History
import Wire

/// `demo`, `demos`, `remove_demonstrations`, `add_demonstrations` (docs/wire-protocol.md,
/// docs/demonstration-format.md).
extension Daemon {
    /// The plan of a demonstration: a task of kind `demonstration` whose `count` attempts a person
    /// drives (`TaskPlan.demonstration`); no update and no gate record. An in-process robot is
    /// refused here (`validate`); a bridge robot whose controller lacks the feature when the task
    /// starts, before any reset is sent.
    func demonstrationPlan(_ args: DemoArgs, defaultRobot: String, adaptation: any AdaptationService) throws -> TaskPlan {
        let robot = args.robot ?? defaultRobot
        try checkRobot(robot)
        let defaults = adaptation.defaults(robot: robot) ?? TaskDefaults()
        return TaskPlan(
            id: "d-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(10),
            robot: robot, task: args.task, params: args.params ?? [:], dynamics: args.dynamics ?? [:],
            attempts: args.count ?? 1, temperatureBase: 0, temperatureRange: 0,
            rewardMode: defaults.rewardMode, adapt: false, priority: args.priority ?? 0,
            seed: args.seed ?? UInt64.random(in: 0...UInt64(Int64.max)), demonstration: true)
    }

    /// `demos`: the stored sets and the damaged files.
    func demonstrations(_ query: DemosQuery, adaptation: any AdaptationService) -> DemonstrationsResult {
        let (sets, damaged) = adaptation.demonstrationSets(robot: query.robot, task: query.task)
        return DemonstrationsResult(sets: sets.map(DemonstrationEntry.init), damaged: damaged.map { DamagedDemonstration(path: $0.path, reason: $0.reason) })
    }

    /// `add_demonstrations`: the file frame checked against its stated SHA-256, then by the adaptation side.
    func addDemonstrations(_ args: AddDemonstrationsArgs, file: [UInt8], adaptation: any AdaptationService) throws -> DemonstrationEntry {
        if let claimed = args.sha256?.lowercased() {
            let sha256 = CheckpointStore.sha256Hex(file)
            guard claimed == sha256 else {
                throw WireError(.invalidField, field: "args.sha256", "the file received has SHA-256 \(sha256), not \(claimed): it changed on the way or is another file")
            }
        }
        return DemonstrationEntry(try adaptation.addDemonstrations(robot: args.robot, task: args.task, fileName: args.fileName, file: file))
    }
}

extension DemonstrationEntry {
    init(_ summary: DemonstrationSummary) {
        self.init(id: summary.id, robot: summary.robot, task: summary.task, episodes: summary.episodes, steps: summary.steps,
                  successes: summary.successes, source: summary.source, createdAt: summary.createdAt)
    }
}

extension TaskRow {
    /// The `kind` of a demonstration task (`demo`).
    static let demonstration = "demonstration"
}

extension TaskPlan {
    /// The task's `kind` in the history, the journal and the metrics.
    var kind: String { demonstration ? TaskRow.demonstration : evaluation ? TaskRow.evaluation : TaskRow.training }
}
