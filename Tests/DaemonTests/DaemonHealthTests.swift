import Foundation
import Testing
import TTADTesting
import Wire

/// Where `status.health_reason` comes from: every degraded cause in one place (`HealthIssues`),
/// each clearing on its own terms. A real daemon; the faults are real (a controller not there).
@Suite(.serialized) struct DaemonHealthTests {
    @Test("the hardware-fault pause and a skipped robot-config share one health_reason, pause first; resume clears only the pause")
    func hardwareFaultPauseIsOneCauseAmongTheOthers() throws {
        // A bridge robot whose controller is not there: every reset misses its hello deadline,
        // so each attempt is a hardware fault. Beside it, a robot-config that cannot load.
        let robots = try DaemonRobotConfigStartupTests.robotFolder(extra: ["broken.yaml": "backend:\n  type: mujoco\n  model: nowhere.xml\n"])
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let bridge = try String(contentsOfFile: robots + "/bridge-example.yaml", encoding: .utf8)
            .replacingOccurrences(of: "ipc:///tmp/ttad-controller.sock", with: "ipc://\(robots)/nobody.sock")
            .replacingOccurrences(of: "hello_deadline_ms: 2000", with: "hello_deadline_ms: 150")
        try bridge.write(toFile: robots + "/bridge-example.yaml", atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess.serving(robotConfigDirectory: robots)
        let client = try daemon.client()
        func status() throws -> StatusResult { try client.call(Request(operation: .status), as: StatusResult.self) }
        let skipped = try #require(try status().healthReason, "the broken robot-config degrades from the start")
        #expect(skipped.contains("robot broken skipped"), "\(skipped)")

        // hardware_fault_limit (3) faults in a row pause adaptation.
        for seed in 0..<3 {
            let id = try daemon.submit(SubmitArgs(robot: "bridge-example", task: "reach", attempts: 1, seed: UInt64(seed))).taskId
            #expect(try daemon.waitForTask(id).state == "failed", "every attempt a hardware fault")
        }
        let paused = try status()
        #expect(paused.health == "degraded" && !paused.adapting)
        let reason = try #require(paused.healthReason)
        let pause = try #require(reason.range(of: "consecutive hardware faults on bridge-example"), "\(reason)")
        let broken = try #require(reason.range(of: "robot broken skipped"), "\(reason)")
        #expect(pause.lowerBound < broken.lowerBound, "the pause leads, as it did before it was a cause: \(reason)")

        _ = try client.call(Request(operation: .resume), as: AckResult.self)
        let resumed = try status()
        #expect(resumed.adapting && resumed.health == "degraded")
        #expect(resumed.healthReason == skipped, "resume clears the pause; the skipped robot needs its own fix: \(resumed.healthReason ?? "nil")")
        #expect(daemon.terminate() == 0)
    }
}
