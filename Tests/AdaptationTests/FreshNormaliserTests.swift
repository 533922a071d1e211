import Checkpoints
import Foundation
import Learning
import Policy
import Testing
@testable import Adaptation

/// A robot brought up from nothing (docs/learning.md "The cloning phase"): ttad's fresh
/// initialisation takes an observation normaliser fitted to the stored demonstrations with its
/// first update, and the cloning phase follows; a policy that came from elsewhere (shipped,
/// imported) keeps its inputs exactly as they were.
@Suite struct FreshNormaliserTests {
    /// 40 stored steps of reacher2's observation (10 values) and action (2): value j of step i is
    /// j + (i % 2 == 0 ? 1 : -1) * (j + 1) / 10, so each value's mean is j and its std (j + 1) / 10,
    /// except value 0, held at 0.5 (std 0: the floor).
    static func demonstrations() -> DemonstrationSet {
        var observations: [Float] = [], actions: [Float] = []
        for i in 0..<40 {
            let sign: Float = i % 2 == 0 ? 1 : -1
            observations.append(0.5)
            for j in 1..<10 { observations.append(Float(j) + sign * Float(j + 1) / 10) }
            actions += [Float(i % 5) / 5 - 0.4, 0.3]
        }
        return DemonstrationSet(robot: "reacher2", task: "reach", source: "test", successes: [true, true], createdAt: 0,
                                observationSize: 10, actionSize: 2, observations: observations, actions: actions, episodeLengths: [20, 20])
    }

    static func run(_ engine: AdaptationEngine, _ i: Int) throws -> UpdateReport? {
        try engine.run(AdaptationEngineTests.plan(i), observer: AdaptationEngineTests.Recorder(), cancellation: Cancellation()).update.report
    }

    @Test func aFreshPolicysFirstUpdateWithDemonstrationsFitsItsNormaliserOnceThenClones() throws {
        let dir = try AdaptationEngineTests.robotFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
        #expect(try engine.livePolicy(robot: "reacher2").normalizer == nil, "a fresh initialisation has none")
        _ = try engine.demonstrationStore.save(Self.demonstrations())

        let first = try #require(try Self.run(engine, 0), "the demonstrations make the first task update")
        #expect(first.accepted, "\(first)")
        #expect(first.normaliserFittedFrom == 40 && first.cloneSteps == 50 && first.cloneSamples == 40 && first.cloneRefusal == nil, "\(first)")
        let fitted = try #require(try engine.livePolicy(robot: "reacher2").normalizer, "the candidate carries it")
        #expect(fitted.mean[0] == 0.5 && fitted.std[0] == AdaptationStep.normaliserStdFloor)
        for j in 1..<10 {
            #expect(abs(fitted.mean[j] - Float(j)) < 1e-4 && abs(fitted.std[j] - Float(j + 1) / 10) < 1e-4, "value \(j): \(fitted)")
        }
        // Once: later updates keep it.
        let second = try #require(try Self.run(engine, 1))
        #expect(second.normaliserFittedFrom == nil && second.cloneSteps == 50, "\(second)")
        #expect(try engine.livePolicy(robot: "reacher2").normalizer == fitted)
    }

    @Test func aShippedStartIsNeverRenormalisedButIsCloned() throws {
        // The fresh policy of one folder, shipped as another folder's starting checkpoint.
        let fresh = try AdaptationEngineTests.robotFolder()
        defer { try? FileManager.default.removeItem(atPath: fresh) }
        let start = try AdaptationEngine(robotConfigDirectory: fresh + "/robots", stateDirectory: fresh + "/state", defaultRobot: "reacher2")
            .livePolicy(robot: "reacher2")
        let dir = try AdaptationEngineTests.robotFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try CheckpointStore(directory: dir + "/robots/checkpoints").save(
            policy: start, optimizer: [], metadata: CheckpointMetadata(architecture: start.config, robot: "reacher2"), as: "reacher2")
        let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
        _ = try engine.demonstrationStore.save(Self.demonstrations())
        let report = try #require(try Self.run(engine, 0))
        #expect(report.accepted && report.normaliserFittedFrom == nil && report.cloneSteps == 50, "\(report)")
        #expect(try engine.livePolicy(robot: "reacher2").normalizer == nil, "trained elsewhere: its inputs stay as they were")
    }

    @Test func theFitIsTheMeanAndTheFlooredStdAndRefusesWhatIsNotWholeRows() throws {
        let n = try #require(ObservationNormalizer.fit(observations: [1, 5, 3, 5], size: 2, stdFloor: 0.5))
        #expect(n.mean == [2, 5] && n.std == [1, 0.5])
        #expect(ObservationNormalizer.fit(observations: [1, 2, 3], size: 2, stdFloor: 0.5) == nil)
        #expect(ObservationNormalizer.fit(observations: [], size: 2, stdFloor: 0.5) == nil)
        #expect(ObservationNormalizer.fit(observations: [1, .nan], size: 2, stdFloor: 0.5) == nil)
    }
}
