import Foundation
import Synchronization
import Testing
@testable import Adaptation

/// The engine's control calls do not wait for an update: the real engine on the real simulated
/// reacher, an update made long on purpose, and a second thread asking meanwhile.
@Suite struct AdaptationConcurrencyTests {
    /// Calls `attemptsDone` once the last of `attempts` attempts has finished (the update starts then).
    final class Watcher: AdaptationObserver, @unchecked Sendable {
        let attempts: Int
        let order: MessageBox
        let attemptsDone = DispatchSemaphore(value: 0)
        private var finished = 0
        init(attempts: Int, order: MessageBox) { self.attempts = attempts; self.order = order }
        func attemptStarted(_ plan: TaskPlan, index: Int, temperature: Double) {}
        func attemptFinished(_ plan: TaskPlan, _ report: AttemptReport) {
            finished += 1
            if finished == attempts { attemptsDone.signal() }
        }
        func updateFinished(_ plan: TaskPlan, _ update: UpdateSummary) { order.append("update finished: \(update.skipReason ?? "made")") }
        func checkpointEvent(_ event: CheckpointEvent, taskId: String?) {}
        func heartbeat() {}
    }

    @Test("status, e-stop and a person's rollback return while an update runs; the rollback stands")
    func controlCallsReturnWhileAnUpdateRuns() throws {
        let dir = try AdaptationEngineTests.robotFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The whole network, 40 epochs, no early stop, small steps (accepted): an update of seconds.
        let path = dir + "/robots/reacher2.yaml"
        var yaml = try String(contentsOfFile: path, encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "  epochs: 4\n", with: "  epochs: 40\n  minibatches: 16\n  target_kl: null\n")
            .replacingOccurrences(of: "  trainable: [head.weight, head.bias]", with: "  # trainable: everything")
            .replacingOccurrences(of: "  learning_rate: 0.0003 ", with: "  learning_rate: 0.00001 ")
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let engine = try AdaptationEngine(robotConfigDirectory: dir + "/robots", stateDirectory: dir + "/state", defaultRobot: "reacher2")
        let good = try #require(engine.lastGoodCheckpoint)
        let order = MessageBox()
        let watcher = Watcher(attempts: 64, order: order)
        let asker = Thread {
            guard watcher.attemptsDone.wait(timeout: .now() + 300) == .success else { return }
            // Well inside an update of seconds (the control thread holds whatever it holds by now).
            Thread.sleep(forTimeInterval: 0.1)
            _ = engine.status
            order.append("status")
            engine.emergencyStop()
            order.append("estop")
            engine.clearEmergencyStop()
            if let id = try? engine.rollback(to: nil, reason: "test", observer: nil).checkpoint ?? nil { order.append("rollback to \(id)") }
        }
        asker.start()
        var plan = AdaptationEngineTests.plan(1, attempts: 64)
        plan.seed = 11
        let outcome = try engine.run(plan, observer: watcher, cancellation: Cancellation())
        let seen = order.all
        // The update ran on the old policy; the rollback in its middle means its candidate is not made live.
        #expect(outcome.update.skipReason == "the live policy changed during the update (rollback)", "\(outcome.update)")
        #expect(Array(seen.prefix(3)) == ["status", "estop", "rollback to \(good)"], "\(seen)")
        #expect(seen.last?.hasPrefix("update finished") == true, "\(seen)")
        // The person's rollback came after the update started: it stands, the candidate does not.
        #expect(engine.liveCheckpoint == good, "live \(engine.liveCheckpoint ?? "-"), outcome \(outcome.update)")
    }
}
