import Foundation
import Testing
import TTADTesting
import Wire

/// `ttactl report` against a real daemon whose updates are made to blow up (the fault-injection
/// knob), so that rollbacks really happen: each shows in the task's record with its reason, and
/// as a red marker and a table row in the HTML page.
@Suite(.serialized) struct DaemonReportTests {
    /// A robot-config folder holding reacher2 with a learning rate 10^5 times too large.
    static func blowingUpRobotFolder() throws -> String {
        let dir = NSTemporaryDirectory() + "ttad-report-\(UUID().uuidString.prefix(8))"
        let robots = DaemonProcess.robotConfigs
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var yaml = try String(contentsOfFile: robots + "/reacher2.yaml", encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "\nadaptation:\n", with: "\nadaptation:\n  debug_learning_rate_multiplier: 100000\n")
        try yaml.write(toFile: dir + "/reacher2.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/models", withDestinationPath: robots + "/models")
        try FileManager.default.createSymbolicLink(atPath: dir + "/checkpoints", withDestinationPath: robots + "/checkpoints")
        return dir
    }

    @Test func rollbacksAreRecordedWithTheirTaskAndDrawnInTheReport() throws {
        let robots = try Self.blowingUpRobotFolder()
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let daemon = try DaemonProcess.serving(robotConfigDirectory: robots)
        let client = try daemon.client()

        // Submit until an update has blown up and been rolled back (a group that mixes successes
        // and failures makes an update; at 10^5 times the learning rate it is refused).
        var rolledBack: TaskInfo?
        for seed in 0..<40 where rolledBack == nil {
            let id = try client.call(Request(operation: .submit, args: .submit(SubmitArgs(task: "reach", attempts: 8, seed: UInt64(seed)))),
                                     as: SubmitResult.self).taskId
            let info = try daemon.waitForTask(id)
            if info.checkpointEvents?.contains(where: { $0.kind == "rollback" }) == true { rolledBack = info }
        }
        let task = try #require(rolledBack, "no rollback in 40 tasks\n\(daemon.log)")
        let rollback = try #require(task.checkpointEvents?.first { $0.kind == "rollback" })
        #expect(rollback.reason.hasPrefix("update refused"), "\(rollback.reason)")
        #expect(rollback.checkpoint != nil && rollback.fromCheckpoint != nil)
        #expect(task.updates.contains { !$0.accepted })

        // `ttactl task` says it in words.
        let shown = try TTACtlRunner.run(["task", task.taskId, "--endpoint", daemon.endpoint])
        #expect(shown.status == 0 && shown.output.contains("checkpoint rollback: \(rollback.checkpoint!)")
                && shown.output.contains("update refused"), "\(shown.output)")

        // The report draws it, and says why.
        let page = daemon.directory + "/report.html"
        let report = try TTACtlRunner.run(["report", "--endpoint", daemon.endpoint, "--output", page])
        let printed = report.output
        #expect(report.status == 0, "\(printed)\n\(report.errors)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.contains("<line class=\"rollback\""), "a red rollback marker")
        #expect(html.contains("<title>rollback: update refused"), "its hover text says why")
        #expect(html.contains("<h2>Rollbacks</h2>") && html.contains(rollback.checkpoint!))
        let rollbacks = try #require(printed.firstMatch(of: /(\d+) rollbacks/).flatMap { Int($0.1) }, "\(printed)")
        #expect(rollbacks >= 1)
        #expect(daemon.terminate() == 0)
    }
}
