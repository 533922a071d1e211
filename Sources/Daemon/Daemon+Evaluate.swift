import Adaptation
import Foundation
import Wire

/// `evaluate`: K greedy single attempts on a fixed evaluation set, queued like a submit.
extension Daemon {
    /// The plan of an evaluation: a task of kind `evaluation` whose K attempts run evaluation
    /// tasks 0..<K of the set `args.seed` (default 0) at T=0, with no update
    /// (`TaskPlan.evaluation`). The robot's own reward mode scores them, so `mean_reward` reads as
    /// a training task's does.
    func evaluationPlan(_ args: EvaluateArgs, defaultRobot: String, adaptation: any AdaptationService) throws -> TaskPlan {
        let robot = args.robot ?? defaultRobot
        try checkRobot(robot)
        let defaults = adaptation.defaults(robot: robot) ?? TaskDefaults()
        return TaskPlan(
            id: "e-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(10),
            robot: robot, task: args.task, params: args.params ?? [:], dynamics: args.dynamics ?? [:],
            attempts: args.tasks ?? EvaluateArgs.defaultTasks, temperatureBase: 0, temperatureRange: 0,
            rewardMode: defaults.rewardMode, adapt: false, priority: args.priority ?? 0, seed: args.seed ?? 0,
            evaluation: true)
    }
}
