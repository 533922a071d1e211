import Foundation
import Testing
import TTADTesting
import Wire

/// Demonstrations through the real daemon, the real `ttad-controller --person scripted` (the
/// person) and the real `ttactl` (docs/demonstration-format.md, docs/bridge-protocol.md 1.2).
@Suite(.serialized, .enabled(if: ControllerProcess.controllerBinary != nil, "ttad-controller is not built"))
struct DaemonDemonstrationTests {
    /// A robot folder whose bridge-example talks to `controller`, with `learning` lines added.
    static func robots(controller: ControllerProcess, learning: String = "") throws -> String {
        let robots = try DaemonRobotConfigStartupTests.robotFolder(extra: [:])
        var yaml = try String(contentsOfFile: robots + "/bridge-example.yaml", encoding: .utf8)
            .replacingOccurrences(of: "ipc:///run/ttad-bridge/reacher2.sock", with: controller.endpoint)
        if !learning.isEmpty { yaml = yaml.replacingOccurrences(of: "\nlearning:\n", with: "\nlearning:\n" + learning) }
        try yaml.write(toFile: robots + "/bridge-example.yaml", atomically: true, encoding: .utf8)
        return robots
    }

    static func ttactl(_ daemon: DaemonProcess, _ arguments: [String]) throws -> TTACtlRunner.Result {
        try TTACtlRunner.run(["--endpoint", daemon.endpoint] + arguments)
    }

    static func demos(_ daemon: DaemonProcess, robot: String? = nil) throws -> DemonstrationsResult {
        try daemon.client().call(Request(operation: .demos, args: .demos(DemosQuery(robot: robot))), as: DemonstrationsResult.self)
    }

    @Test func threeDemonstrationsRecordedWithTTACtlAreListedAndRemoved() throws {
        let controller = try ControllerProcess.reference(["--person", "scripted"])
        defer { controller.terminate() }
        let robots = try Self.robots(controller: controller)
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let daemon = try DaemonProcess.serving(robotConfigDirectory: robots)
        defer { _ = daemon.terminate() }

        let recorded = try TTACtlRunner.run(["demo", "--endpoint", daemon.endpoint, "--robot", "bridge-example", "--task", "reach",
                                             "--count", "3", "--seed", "5", "--wait"])
        #expect(recorded.status == 0, "\(recorded.output)\(recorded.errors)\n\(daemon.log)\n\(controller.log)")
        #expect(recorded.output.contains("done: 3 attempt(s)"), "\(recorded.output)")

        let listed = try Self.demos(daemon)
        #expect(listed.damaged.isEmpty)
        let set = try #require(listed.sets.first, "\(listed)\n\(daemon.log)")
        #expect(listed.sets.count == 1)
        #expect(set.robot == "bridge-example" && set.task == "reach" && set.source == "operator")
        #expect(set.episodes == 3 && set.steps >= 3)
        #expect(set.successes != nil)
        let table = try TTACtlRunner.run(["demos", "--endpoint", daemon.endpoint, "--robot", "bridge-example"])
        #expect(table.status == 0 && table.output.contains(set.id) && table.output.contains("operator"), "\(table.output)\(table.errors)")

        // The demonstration is a task of its own kind, which neither trains nor judges.
        let history = try daemon.client().call(Request(operation: .history, args: .history(HistoryQuery())), as: HistoryResult.self)
        let row = try #require(history.tasks.first)
        #expect(row.kind == "demonstration", "\(row)")
        let taskId = try #require(recorded.output.split(separator: " ").dropFirst().first.map(String.init))
        let info = try daemon.client().call(Request(operation: .task, args: .task(TaskRef(taskId: taskId))), as: TaskInfo.self)
        #expect(info.updates.isEmpty, "no update after a demonstration: \(info.updates)")
        #expect(info.attempts.allSatisfy { $0.intervenedSteps == $0.steps }, "the person drove every step: \(info.attempts)")

        // `ttactl report` counts the demonstrations per task family and charts none of them.
        let reportFile = daemon.directory + "/report.html"
        let report = try TTACtlRunner.run(["report", "--endpoint", daemon.endpoint, "--output", reportFile, "--json"])
        #expect(report.status == 0, "\(report.errors)")
        let summary = try JSONSerialization.jsonObject(with: Data(report.output.utf8)) as? [String: Any]
        #expect(summary?["demonstrations"] as? [String: Int] == ["reach": 3], "\(report.output)")
        #expect(summary?["tasks"] as? Int == 0, "a demonstration is not a training point: \(report.output)")
        let html = try String(contentsOfFile: reportFile, encoding: .utf8)
        #expect(html.contains("<div class=\"card\"><b>3</b>demonstrations (reach 3)</div>"), "the page shows them too")

        // `ttactl demos add`: the stored file, copied out as a person would carry it to another robot.
        let copy = daemon.directory + "/recorded.safetensors"
        try FileManager.default.copyItem(atPath: "\(daemon.stateDirectory)/demonstrations/bridge-example/\(set.id).safetensors", toPath: copy)
        let added = try TTACtlRunner.run(["demos", "add", "--endpoint", daemon.endpoint, "--robot", "bridge-example", "--task", "reach", copy])
        #expect(added.status == 0, "\(added.output)\(added.errors)")
        #expect(added.output.contains("3 episode(s), \(set.steps) steps of reach on bridge-example from recorded.safetensors"), "\(added.output)")
        let both = try Self.demos(daemon).sets
        #expect(both.count == 2 && both.last?.source == "recorded.safetensors" && both.last?.steps == set.steps, "\(both)")
        // A damaged file is refused by name, and nothing is stored.
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: copy)))
        bytes[bytes.count - 3] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: copy))
        let refused = try TTACtlRunner.run(["demos", "add", "--endpoint", daemon.endpoint, "--robot", "bridge-example", "--task", "reach", copy])
        #expect(refused.status == 1 && refused.errors.contains("recorded.safetensors") && refused.errors.contains("checksum"),
                "\(refused.output)\(refused.errors)")
        let unknownTask = try TTACtlRunner.run(["demos", "add", "--endpoint", daemon.endpoint, "--robot", "bridge-example", "--task", "juggle", copy])
        #expect(unknownTask.status == 1 && unknownTask.errors.contains("unknown task family \"juggle\""), "\(unknownTask.errors)")
        #expect(try Self.demos(daemon).sets.count == 2)
        let removedCopy = try TTACtlRunner.run(["demos", "remove", "--endpoint", daemon.endpoint, both[1].id])
        #expect(removedCopy.status == 0, "\(removedCopy.errors)")

        let removed = try TTACtlRunner.run(["demos", "remove", "--endpoint", daemon.endpoint, set.id])
        #expect(removed.status == 0, "\(removed.output)\(removed.errors)")
        #expect(try Self.demos(daemon).sets.isEmpty)
        let again = try TTACtlRunner.run(["demos", "remove", "--endpoint", daemon.endpoint, set.id])
        #expect(again.status != 0 && again.errors.contains("no demonstration set"), "\(again.output)\(again.errors)")
    }

    @Test func anInProcessRobotIsRefusedBeforeAnythingIsQueued() throws {
        let daemon = try DaemonProcess.serving()
        defer { _ = daemon.terminate() }
        #expect {
            try daemon.client().call(Request(operation: .demo, args: .demo(DemoArgs(robot: "reacher2", task: "reach"))), as: DemoResult.self)
        } throws: { error in
            let text = "\(error)"
            return text.contains("args.robot") && text.contains("no person") && text.contains("use a bridge controller, or add demonstrations from a file")
        }
        let history = try daemon.client().call(Request(operation: .history, args: .history(HistoryQuery())), as: HistoryResult.self)
        #expect(history.tasks.isEmpty)
    }

    @Test func aControllerWithoutTheFeatureIsRefusedBeforeAnyReset() throws {
        let controller = try ControllerProcess.reference(["--verbose"])
        defer { controller.terminate() }
        let robots = try Self.robots(controller: controller)
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let daemon = try DaemonProcess.serving(robotConfigDirectory: robots)
        defer { _ = daemon.terminate() }
        let id = try daemon.client().call(Request(operation: .demo, args: .demo(DemoArgs(robot: "bridge-example", task: "reach", count: 2))),
                                          as: DemoResult.self).taskId
        let info = try daemon.waitForTask(id)
        #expect(info.state == "failed", "\(info.state) \(info.detail ?? "")")
        #expect(info.detail?.contains("controller of robot bridge-example does not announce the `demonstration` feature (bridge protocol 1.2, hello.features)") == true,
                "\(info.detail ?? "")")
        #expect(info.attempts.isEmpty)
        #expect(!controller.log.contains("reset seq"), "no reset was sent:\n\(controller.log)")
        #expect(try Self.demos(daemon).sets.isEmpty)
    }

    @Test func aStepNotIntervenedInADemonstrationIsAHardwareFaultAndNothingIsStored() throws {
        let controller = try ControllerProcess.reference(["--person", "scripted", "--fault", "demo-no-intervene:3"])
        defer { controller.terminate() }
        let robots = try Self.robots(controller: controller)
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let daemon = try DaemonProcess.serving(robotConfigDirectory: robots)
        defer { _ = daemon.terminate() }
        let id = try daemon.client().call(Request(operation: .demo, args: .demo(DemoArgs(robot: "bridge-example", task: "reach"))),
                                          as: DemoResult.self).taskId
        let info = try daemon.waitForTask(id)
        let attempt = try #require(info.attempts.first, "\(info)\n\(daemon.log)")
        #expect(attempt.abortReason?.hasPrefix("hardware_fault: step 3: demonstration attempt, but the step reply does not say intervened") == true,
                "\(attempt.abortReason ?? "none")")
        #expect(try Self.demos(daemon).sets.isEmpty, "a broken episode is not stored")
    }

    @Test func anUpdateAfterDemonstrationsClonesThemAndADamagedFileIsSkippedByName() throws {
        let controller = try ControllerProcess.reference(["--person", "scripted"])
        defer { controller.terminate() }
        let robots = try Self.robots(controller: controller, learning: "  demonstration_steps: 40\n")
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let daemon = try DaemonProcess.serving(robotConfigDirectory: robots)
        defer { _ = daemon.terminate() }
        for seed: UInt64 in [1, 2] {
            let id = try daemon.client().call(Request(operation: .demo, args: .demo(DemoArgs(robot: "bridge-example", task: "reach", count: 2, seed: seed))),
                                              as: DemoResult.self).taskId
            #expect(try daemon.waitForTask(id).state == "done")
        }
        let sets = try Self.demos(daemon).sets
        #expect(sets.count == 2)
        // Damage the second set's data: it must be reported by name and never trained on.
        let damaged = try #require(sets.last)
        let path = "\(daemon.stateDirectory)/demonstrations/bridge-example/\(damaged.id).safetensors"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 3] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let listed = try Self.demos(daemon)
        #expect(listed.sets.map(\.id) == [sets[0].id])
        #expect(listed.damaged.count == 1 && listed.damaged[0].path == path && listed.damaged[0].reason.contains("checksum"), "\(listed.damaged)")

        let events = try daemon.subscribe()
        let task = try daemon.submit(SubmitArgs(robot: "bridge-example", task: "reach", attempts: 2, adapt: true, seed: 9))
        let seen = try events.events(until: { $0.kind == .updateFinished && $0.taskId == task.taskId }, deadline: .seconds(120))
        let update = try #require(seen.last { $0.kind == .updateFinished }?.update, "\(seen.map(\.kind))\n\(daemon.log)")
        #expect(update.skipped == nil, "an update ran (the demonstrations make it run even without informative advantages): \(update)")
        #expect(update.demonstrationSamples == min(40, sets[0].steps), "\(update)")
        #expect(update.interventionSamples == update.demonstrationSamples, "the person drove no step of the task itself: \(update)")
        // The history keeps both counts: a later `task` reply says what the event said.
        let recorded = try #require(try daemon.waitForTask(task.taskId).updates.first)
        #expect(recorded.demonstrationSamples == update.demonstrationSamples && recorded.interventionSamples == update.interventionSamples,
                "\(recorded)")
        #expect(recorded.cloneSteps == update.cloneSteps && recorded.cloneSamples == update.cloneSamples && recorded.cloneLoss == update.cloneLoss,
                "\(recorded)")
        if recorded.accepted {
            // The cloning phase drew from every stored step of the undamaged set (the task's own attempts had no person).
            #expect(update.cloneSteps == 50 && update.cloneSamples == sets[0].steps && update.cloneRefusal == nil, "\(update)")
        }
        if recorded.accepted, let cloned = recorded.interventionSamples {
            let shown = try TTACtlRunner.run(["task", task.taskId, "--endpoint", daemon.endpoint])
            #expect(shown.output.contains("cloning \(cloned) steps a person drove (\(cloned) from stored demonstrations)"), "\(shown.output)")
        }
        #expect(daemon.log.contains("demonstration file \(path) skipped, not trained on"), "\(daemon.log)")
    }

    @Test func killedDuringRecordingTheStoreHasOnlyWholeFilesAndKeepsEarlierSets() throws {
        let controller = try ControllerProcess.reference(["--person", "scripted"])
        defer { controller.terminate() }
        let robots = try Self.robots(controller: controller)
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let daemon = try DaemonProcess.serving(robotConfigDirectory: robots)
        let first = try daemon.client().call(Request(operation: .demo, args: .demo(DemoArgs(robot: "bridge-example", task: "reach", seed: 1))),
                                             as: DemoResult.self).taskId
        #expect(try daemon.waitForTask(first).state == "done")
        let before = try Self.demos(daemon).sets
        #expect(before.count == 1)
        // A second recording, killed while it runs (its attempts or its write).
        let events = try daemon.subscribe()
        _ = try daemon.client().call(Request(operation: .demo, args: .demo(DemoArgs(robot: "bridge-example", task: "reach", count: 5, seed: 2))),
                                     as: DemoResult.self)
        _ = try events.events(until: { $0.kind == .attemptFinished }, deadline: .seconds(60))
        daemon.crash()

        let folder = "\(daemon.stateDirectory)/demonstrations/bridge-example"
        let restarted = try DaemonProcess.serving(stateDirectory: daemon.stateDirectory, robotConfigDirectory: robots)
        defer { _ = restarted.terminate() }
        let after = try Self.demos(restarted)
        #expect(after.damaged.isEmpty, "only whole, verifiable files: \(after.damaged)")
        #expect(after.sets.contains { $0.id == before[0].id }, "the set recorded before the kill is listed: \(after.sets)")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }
        #expect(files.count == after.sets.count, "\(files)")
    }
}
