import Checkpoints
import Foundation
import Learning
import Robots

/// Demonstrations (docs/demonstration-format.md, docs/learning.md "Demonstrations"): recording a
/// `demo` task's episodes as a stored set, the sets `demos` lists, and the draw of stored steps
/// each update of the robot on the task family clones.
extension AdaptationEngine: DemonstrationLibrary {
    /// Refuses a demonstration before any reset is sent when the robot's controller does not
    /// announce the `demonstration` feature (asked afresh: a controller may have restarted).
    func checkDemonstrationFeature(_ lineage: PolicyLineage) throws {
        let name = lineage.profile.config.name
        guard let bridge = lineage.profile.robot as? BridgeRobot else {
            throw AdaptationError(.invalid, field: "args.robot", MuJoCoRobot.noPerson(name))
        }
        let hello: BridgeProtocol.Header
        do { hello = try bridge.capabilities() } catch {
            throw AdaptationError(.unavailable, field: "args.robot", "cannot ask the controller of robot \(name) for demonstrations: \(error)")
        }
        guard (hello.features ?? []).contains(BridgeProtocol.demonstrationFeature) else {
            throw AdaptationError(.invalid, field: "args.robot", BridgeAttempt.noDemonstrationFeature(name))
        }
    }

    /// Stores the whole episodes of a demonstration task as one set and says what was stored
    /// (the task's "no update" reason). An episode is whole when it ended without a fault, an
    /// abort or a cancel, and the person drove every step of it.
    func storeDemonstrations(_ plan: TaskPlan, results: [AttemptRunner.Result]) throws -> String {
        let config = try withLock { () throws -> RobotConfig in
            guard let lineage = lineages[plan.robot] else { throw AdaptationError(.notFound, field: "robot", "robot \(plan.robot) is gone (reloaded?)") }
            return lineage.profile.config
        }
        let whole = results.filter {
            $0.report.interruption == nil && !$0.cancelled && $0.trajectory.steps > 0 && $0.trajectory.intervenedSteps == $0.trajectory.steps
        }
        guard !whole.isEmpty else { return "demonstration: no whole episode to store (\(results.count) attempt(s) cut short or not driven by a person)" }
        let set = DemonstrationSet(
            robot: plan.robot, task: plan.task, source: "operator", successes: whole.map(\.report.success),
            createdAt: Date().timeIntervalSince1970, observationSize: config.observationSize, actionSize: config.actionSize,
            observations: whole.flatMap(\.trajectory.observations), actions: whole.flatMap { $0.trajectory.samples.flatMap(\.action) },
            episodeLengths: whole.map(\.trajectory.steps))
        if let problem = set.problem(observationSize: config.observationSize, actionSize: config.actionSize) {
            throw AdaptationError(.failed, field: problem.field, "the recorded demonstration is unusable: \(problem.message)")
        }
        let id: String
        do { id = try demonstrationStore.save(set) } catch {
            throw AdaptationError(.failed, field: "demonstrations", "could not store the demonstration: \(error)")
        }
        let note = whole.count < results.count ? " (\(results.count - whole.count) attempt(s) not whole, left out)" : ""
        return "demonstration: stored set \(id), \(whole.count) episode(s), \(set.steps) steps\(note)"
    }

    /// Every stored step of (robot, task family) as one intervened trajectory (each update's PPO
    /// loss clones a draw of `learning.demonstration_steps` of them, its cloning phase all);
    /// nil when there are none or `learning.demonstration_weight` is 0. A damaged file is logged
    /// by name and skipped.
    func demonstrationTrajectory(_ plan: TaskPlan, lineage: PolicyLineage) -> Trajectory? {
        let learning = lineage.profile.learning
        guard learning.demonstrationWeight > 0 else { return nil }
        let config = lineage.profile.config
        let (sets, damaged) = demonstrationStore.load(robot: plan.robot, task: plan.task)
        for file in damaged { log(.warning, "demonstration file \(file.path) skipped, not trained on: \(file.reason)") }
        var observations: [Float] = [], actions: [Float] = []
        for (id, set) in sets {
            if let problem = set.problem(observationSize: config.observationSize, actionSize: config.actionSize) {
                log(.warning, "demonstration set \(id) skipped, not trained on: \(problem.field) \(problem.message)")
                continue
            }
            observations += set.observations
            actions += set.actions
        }
        guard !actions.isEmpty else { return nil }
        return Trajectory.demonstration(observations: observations, actions: actions, policy: lineage.profile.policy)
    }

    // MARK: DemonstrationLibrary

    public func demonstrationSets(robot: String?, task: String?) -> (sets: [DemonstrationSummary], damaged: [DemonstrationStore.Damaged]) {
        let (sets, damaged) = demonstrationStore.load(robot: robot, task: task)
        return (sets.map { DemonstrationSummary(id: $0.id, set: $0.set) }, damaged)
    }

    public func removeDemonstrations(id: String) throws {
        do { try demonstrationStore.remove(id: id) } catch let error as CheckpointError {
            switch error {
            case .notFound, .invalidID: throw AdaptationError(.notFound, field: "args.id", "no demonstration set \"\(id)\"")
            default: throw AdaptationError(.failed, field: "args.id", "could not remove \(id): \(error)")
            }
        }
    }

    public func addDemonstrations(robot: String, task: String, fileName: String, file: [UInt8]) throws -> DemonstrationSummary {
        let config = try withLock { () throws -> RobotConfig in
            guard let lineage = lineages[robot] else { throw AdaptationError(.invalid, field: "args.robot", "unknown robot \"\(robot)\"") }
            return lineage.profile.config
        }
        guard config.tasks[task] != nil else {
            throw AdaptationError(.invalid, field: "args.task",
                                  "unknown task family \"\(task)\" for robot \(robot); expected one of \(config.tasks.keys.sorted().joined(separator: ", "))")
        }
        let source = (fileName as NSString).lastPathComponent
        guard !source.isEmpty else { throw AdaptationError(.invalid, field: "args.file_name", "is empty") }
        var set: DemonstrationSet
        do { set = try DemonstrationFile.decode(file, stored: false, fallback: (robot, task, source)) } catch {
            throw AdaptationError(.invalid, field: "file: \(error.field)", "\(source): \(error.message)")
        }
        set.robot = robot
        set.task = task
        set.source = source
        set.createdAt = Date().timeIntervalSince1970
        if let problem = set.problem(observationSize: config.observationSize, actionSize: config.actionSize) {
            throw AdaptationError(.invalid, field: "file: \(problem.field)", "\(source): \(problem.field) \(problem.message)")
        }
        let id: String
        do { id = try demonstrationStore.save(set) } catch {
            throw AdaptationError(.failed, field: "demonstrations", "could not store \(source): \(error)")
        }
        log(.info, "demonstration set \(id) added from \(source): \(set.episodeLengths.count) episode(s), \(set.steps) steps of \(task) on \(robot)")
        return DemonstrationSummary(id: id, set: set)
    }
}
