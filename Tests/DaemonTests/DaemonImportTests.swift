import Foundation
import Testing
import TTADTesting
import Wire

/// `import` against a real daemon: a good file becomes live, good and recorded with its
/// provenance; a bad one is refused naming what is wrong, and the daemon and its live policy
/// stay as they were.
@Suite(.serialized) struct DaemonImportTests {
    /// The shipped starting checkpoint of `robot` (a valid file of that robot's architecture).
    static func shipped(_ robot: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: DaemonProcess.robotConfigs + "/checkpoints/\(robot).safetensors")))
    }

    static func importRequest(robot: String, file: [UInt8], name: String = "reacher2-trained.safetensors",
                              sha256: String? = nil, by: String? = "tester@test-host") -> Request {
        Request(operation: .import, args: .import(ImportArgs(robot: robot, fileName: name, sha256: sha256, by: by)), attachment: file)
    }

    /// The daemon's refusal of `request` (the test fails if it was accepted).
    static func refusal(_ client: WireClient, _ request: Request) throws -> WireError {
        do {
            let result = try client.call(request, as: ImportResult.self)
            Issue.record("accepted: \(result.message)")
            return WireError(.internal, "accepted")
        } catch let error as WireError {
            return error
        }
    }

    @Test("a good file becomes live, last good and reference, listed, with its provenance in the history")
    func importedFileIsLiveGoodAndRecorded() throws {
        let daemon = try DaemonProcess()
        try daemon.waitUntilServing()
        let client = try daemon.client()
        let before = try client.call(Request(operation: .status), as: StatusResult.self)
        let result = try client.call(Self.importRequest(robot: "reacher2", file: try Self.shipped("reacher2")), as: ImportResult.self)
        #expect(result.robot == "reacher2")
        #expect(result.previous == before.checkpoint)
        #expect(result.checkpoint != before.checkpoint, "a new id")
        #expect(result.sha256.count == 64)
        #expect(result.message.contains(result.checkpoint) && result.message.contains("reacher2-trained.safetensors"), "\(result.message)")

        let status = try client.call(Request(operation: .status), as: StatusResult.self)
        #expect(status.checkpoint == result.checkpoint, "live")
        #expect(status.lastGoodCheckpoint == result.checkpoint, "last good")
        let list = try client.call(Request(operation: .checkpoints), as: CheckpointsResult.self)
        let entry = try #require(list.checkpoints.first { $0.id == result.checkpoint })
        #expect(entry.live && entry.state == "good" && entry.robot == "reacher2" && entry.parent == nil)

        let history = try client.call(Request(operation: .history, args: .history(HistoryQuery())), as: HistoryResult.self)
        let event = try #require(history.untaskedEvents?.first { $0.kind == "imported" }, "an imported event in the history")
        #expect(event.checkpoint == result.checkpoint && event.fromCheckpoint == before.checkpoint && event.robot == "reacher2")
        for part in ["reacher2-trained.safetensors", result.sha256, "tester@test-host"] {
            #expect(event.reason.contains(part), "provenance \(part) in \(event.reason)")
        }

        // The same file again, with its checksum given, is a second import; a task then runs on it.
        let again = try client.call(Self.importRequest(robot: "reacher2", file: try Self.shipped("reacher2"), sha256: result.sha256.uppercased()),
                                    as: ImportResult.self)
        #expect(again.previous == result.checkpoint)
        let submitted = try client.call(Request(operation: .submit, args: .submit(SubmitArgs(task: "reach", attempts: 2, adapt: false, seed: 3))),
                                        as: SubmitResult.self)
        let task = try daemon.waitForTask(submitted.taskId)
        #expect(task.state == "done")
        #expect(task.checkpoint == again.checkpoint, "the task ran on the imported policy")
        #expect(daemon.terminate() == 0)
    }

    @Test("refusals name what is wrong; the daemon stays up and the live policy unchanged after each")
    func badImportsAreRefusedAndChangeNothing() throws {
        let daemon = try DaemonProcess()
        try daemon.waitUntilServing()
        let client = try daemon.client()
        let live = try client.call(Request(operation: .status), as: StatusResult.self).checkpoint
        let good = try Self.shipped("reacher2")
        var damaged = good
        damaged[damaged.count - 5] ^= 0x04

        let cases: [(String, Request, WireError.Code, String?, [String])] = [
            ("architecture mismatch", Self.importRequest(robot: "reacher2", file: try Self.shipped("pusher"), name: "pusher.safetensors"),
             .invalidField, "file", ["observation_size: the file says", "robot-config reacher2 says 10"]),
            ("flipped byte", Self.importRequest(robot: "reacher2", file: damaged), .invalidField, "file",
             ["reacher2-trained.safetensors is damaged", "checksum mismatch"]),
            ("wrong sha256", Self.importRequest(robot: "reacher2", file: good, sha256: String(repeating: "0", count: 64)),
             .invalidField, "args.sha256", ["not 0000"]),
            ("unknown robot", Self.importRequest(robot: "walker", file: good), .invalidField, "args.robot",
             ["unknown robot \"walker\"", "reacher2"]),
            ("not a checkpoint", Self.importRequest(robot: "reacher2", file: Array("hello".utf8)), .invalidField, "file", ["damaged"]),
            ("no file frame", Request(operation: .import, args: .import(ImportArgs(robot: "reacher2", fileName: "x"))),
             .badFrames, nil, ["second frame"]),
        ]
        for (what, request, code, field, parts) in cases {
            let error = try Self.refusal(client, request)
            #expect(error.code == code, "\(what): \(error)")
            #expect(error.field == field, "\(what): \(error)")
            for part in parts { #expect(error.message.contains(part), "\(what): \(error.message)") }
            let status = try client.call(Request(operation: .status), as: StatusResult.self)
            #expect(status.checkpoint == live, "\(what) left the live policy")
            #expect(status.lastGoodCheckpoint == live)
        }
        let history = try client.call(Request(operation: .history, args: .history(HistoryQuery())), as: HistoryResult.self)
        #expect(!(history.untaskedEvents ?? []).contains { $0.kind == "imported" })
        #expect(daemon.process.isRunning)
        #expect(daemon.terminate() == 0)
    }

    @Test("a file frame over the import cap is refused too_large, and the daemon goes on")
    func oversizedFileIsTooLarge() throws {
        let daemon = try DaemonProcess()
        try daemon.waitUntilServing()
        let client = try daemon.client(timeout: .seconds(60))
        let huge = [UInt8](repeating: 0, count: WireVersion.maxAttachmentBytes + 1)
        let error = try Self.refusal(client, Self.importRequest(robot: "reacher2", file: huge))
        #expect(error.code == .tooLarge, "\(error)")
        #expect(error.message.contains("\(WireVersion.maxAttachmentBytes)"))
        #expect(try client.call(Request(operation: .ping), as: Pong.self).pong)
        #expect(daemon.terminate() == 0)
    }

    @Test("ttactl import sends the file with $USER@hostname and prints the new live checkpoint")
    func ttactlImport() throws {
        let daemon = try DaemonProcess()
        try daemon.waitUntilServing()
        let file = DaemonProcess.robotConfigs + "/checkpoints/reacher2.safetensors"
        let run = try TTACtlRunner.run(["import", "--endpoint", daemon.endpoint, "--robot", "reacher2", "--json", file],
                                       environment: ["USER": "alice"])
        #expect(run.status == 0, "\(run.errors)")
        let result = try WireCoding.decoder.decode(ImportResult.self, from: Data(run.output.utf8))
        #expect(result.fileName == "reacher2.safetensors")
        let client = try daemon.client()
        #expect(try client.call(Request(operation: .status), as: StatusResult.self).checkpoint == result.checkpoint)
        let history = try client.call(Request(operation: .history, args: .history(HistoryQuery())), as: HistoryResult.self)
        let event = try #require(history.untaskedEvents?.first { $0.kind == "imported" })
        #expect(event.reason.contains("by alice@"), "\(event.reason)")

        let refused = try TTACtlRunner.run(["import", "--endpoint", daemon.endpoint, "--robot", "pusher", file])
        #expect(refused.status == 1)
        #expect(refused.errors.contains("observation_size: the file says 10"), "\(refused.errors)")
        #expect(daemon.terminate() == 0)
    }
}

/// An import never interrupts a running task: for the robot that runs one it is refused
/// (`unavailable`) until the task ends; another robot's import goes ahead meanwhile.
@Suite(.serialized) struct DaemonImportWhileRunningTests {
    @Test("an import for the robot whose task runs is refused unavailable; after the task it is accepted")
    func importWaitsForTheRunningTask() throws {
        // The reference controller answers each step 50 ms late: 16 attempts keep the task running.
        let controller = try ControllerProcess.reference(["--fault", "late:50", "--verbose"])
        let robots = try DaemonRobotConfigStartupTests.robotFolder(extra: [:])
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let yaml = try String(contentsOfFile: robots + "/bridge-example.yaml", encoding: .utf8)
            .replacingOccurrences(of: "ipc:///run/ttad-bridge/reacher2.sock", with: controller.endpoint)
            .replacingOccurrences(of: "step_deadline_ms: 100 ", with: "step_deadline_ms: 5000 ")
        try yaml.write(toFile: robots + "/bridge-example.yaml", atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(robotConfigDirectory: robots)
        try daemon.waitUntilServing()
        let client = try daemon.client()
        // A file of the bridge robot's architecture: its own starting checkpoint.
        let before = try client.call(Request(operation: .checkpoints), as: CheckpointsResult.self)
        let bridgeLive = try #require(before.checkpoints.first { $0.robot == "bridge-example" && $0.live }).id
        let bridgeFile = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(daemon.stateDirectory)/checkpoints/bridge-example/\(bridgeLive).safetensors")))

        let running = try client.call(Request(operation: .submit, args: .submit(
            SubmitArgs(robot: "bridge-example", task: "reach", attempts: 16, adapt: false, seed: 1))), as: SubmitResult.self).taskId
        #expect(try Poll.until(.seconds(60)) {
            try client.call(Request(operation: .status), as: StatusResult.self).runningTask == running && controller.log.contains("step seq=")
        }, "no attempt started\n\(daemon.log)\n\(controller.log)")

        let refused = try DaemonImportTests.refusal(client, DaemonImportTests.importRequest(robot: "bridge-example", file: bridgeFile))
        #expect(refused.code == .unavailable && refused.field == "args.robot", "\(refused)")
        #expect(refused.message.contains("running task \(running)"), "\(refused.message)")
        // Another robot is not held up by it.
        let other = try client.call(DaemonImportTests.importRequest(robot: "reacher2", file: try DaemonImportTests.shipped("reacher2")),
                                    as: ImportResult.self)
        #expect(other.robot == "reacher2")

        _ = try client.call(Request(operation: .cancel, args: .task(TaskRef(taskId: running))), as: AckResult.self)
        let info = try daemon.waitForTask(running)
        #expect(info.attempts.allSatisfy { $0.checkpoint == bridgeLive }, "the running task kept its policy")
        let accepted = try client.call(DaemonImportTests.importRequest(robot: "bridge-example", file: bridgeFile), as: ImportResult.self)
        #expect(accepted.previous == bridgeLive)
        #expect(daemon.terminate() == 0)
    }
}
