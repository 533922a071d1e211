import Foundation
import Learning
import Testing
import TTADTesting
@testable import Adaptation

/// Interventions through the whole attempt path: the real `ttad-controller` plays a person who
/// drives steps 3-5 of every attempt; the engine records them, and the update clones them.
@Suite(.serialized, .enabled(if: ControllerProcess.controllerBinary != nil, "ttad-controller is not built"))
struct InterventionRecordingTests {
    @Test func intervenedStepsAreCountedInTheAttemptReportsAndClonedByTheUpdate() throws {
        let controller = try ControllerProcess.reference(["--intervene-steps", "3-5", "--intervene-action", "0.25,-0.5"])
        defer { controller.terminate() }
        let dir = try AttemptSafetyBridgeTests.folder(endpoint: controller.endpoint)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
        let outcome = try engine.run(AttemptSafetyBridgeTests.bridgePlan(0, attempts: 2), observer: AdaptationEngineTests.Recorder(),
                                     cancellation: Cancellation())
        #expect(outcome.attempts.count == 2)
        for attempt in outcome.attempts {
            #expect(attempt.abortReason == nil, "\(String(describing: attempt.abortReason))")
            #expect(attempt.steps >= 5 && attempt.intervenedSteps == 3 && attempt.wasIntervened, "\(attempt)")
            // Only the takeover's first step can be past the rate limit (a jump from wherever the
            // policy's last sampled action was); steps 4-5 repeat the same action.
            #expect(attempt.interventionsPastLimits <= 1)
        }
        if let report = outcome.update.report {
            #expect(report.interventionSamples == 6, "both attempts' intervened steps are cloned: \(report)")
            // Without stored demonstrations there is no cloning phase: takeovers alone are cloned by the PPO loss only.
            #expect(report.cloneSteps == nil && report.cloneSamples == nil, "\(report)")
        }
    }

    @Test func aControllerThatNeverIntervenesReportsNoInterventions() throws {
        let controller = try ControllerProcess.reference()
        defer { controller.terminate() }
        let dir = try AttemptSafetyBridgeTests.folder(endpoint: controller.endpoint)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
        let outcome = try engine.run(AttemptSafetyBridgeTests.bridgePlan(0, attempts: 2), observer: AdaptationEngineTests.Recorder(),
                                     cancellation: Cancellation())
        #expect(outcome.attempts.allSatisfy { $0.intervenedSteps == 0 && !$0.wasIntervened })
        #expect(outcome.update.report?.interventionSamples == nil)
    }

    @Test func anIntervenedSuccessIsAFailureForTheGate() {
        #expect(!CheckpointGate.Sample(success: true, reward: 0.9, safetyAbort: false, intervened: true).success)
        #expect(CheckpointGate.Sample(success: true, reward: 0.9, safetyAbort: false, intervened: false).success)
        #expect(!CheckpointGate.Sample(success: false, reward: 0.1, safetyAbort: false, intervened: true).success)
    }
}
