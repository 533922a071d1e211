import Foundation
import Testing
import TTADTesting
import Wire

/// Shared policies between two real daemons: `ttactl export-checkpoint` on one writes the file and
/// its model card, `ttactl import` on the other reads both and records where the policy came from;
/// a file of another robot-config, a damaged file and a card of another file are refused.
@Suite(.serialized) struct DaemonSharedPolicyTests {
    /// A folder to export into, removed by the caller.
    static func outFolder() -> String { NSTemporaryDirectory() + "ttad-export-\(UUID().uuidString.prefix(8))" }

    /// Runs one short adapting task on `daemon`'s reacher2, so its history has results.
    static func runOneTask(_ daemon: DaemonProcess) throws -> TaskInfo {
        let id = try daemon.submit(SubmitArgs(robot: "reacher2", task: "reach", attempts: 4, adapt: true, seed: 11)).taskId
        return try daemon.waitForTask(id)
    }

    /// `ttactl export-checkpoint` into `out`; returns the card it wrote.
    static func export(_ daemon: DaemonProcess, which: String, out: String) throws -> ModelCard {
        let run = try TTACtlRunner.run(["export-checkpoint", "--endpoint", daemon.endpoint, "--robot", "reacher2",
                                        "--which", which, "--out", out])
        #expect(run.status == 0, "\(run.errors)")
        let cards = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".card.json") }
        let name = try #require(cards.first, "no card in \(out): \(run.output)")
        return try WireCoding.decoder.decode(ModelCard.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/" + name)))
    }

    @Test("a checkpoint exported from one daemon imports on another of the same robot-config, its provenance recorded")
    func exportedCheckpointImportsElsewhereWithProvenance() throws {
        let source = try DaemonProcess.serving()
        let task = try Self.runOneTask(source)
        #expect(task.state == "done", "\(task.state) \(task.detail ?? "")")
        let sourceStatus = try source.client().call(Request(operation: .status), as: StatusResult.self)
        let out = Self.outFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let card = try Self.export(source, which: "good", out: out)

        // The files: the checkpoint as stored, its card, the card for people; no temp file left.
        let names = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(names == ["\(card.checkpoint).card.json", "\(card.checkpoint).card.md", "\(card.checkpoint).safetensors"], "\(names)")
        #expect(card.checkpoint == sourceStatus.lastGoodCheckpoint)
        #expect(card.robotConfig == "reacher2" && card.which == "good" && card.checksum.hasPrefix("sha256:"))
        #expect(card.sourceHost == ProcessInfo.processInfo.hostName)
        #expect(card.architecture.contains("\"observation_size\":10"), "\(card.architecture)")
        #expect(card.recent.tasks == 1 && card.recent.attempts == 4, "\(card.recent)")
        #expect(card.recent.successRate.map { (0...1).contains($0) } == true && card.recent.meanReward != nil)
        let markdown = try String(contentsOfFile: "\(out)/\(card.checkpoint).card.md", encoding: .utf8)
        #expect(markdown.contains("robot-config | `reacher2`") && markdown.contains(card.sha256), "\(markdown)")
        #expect(source.terminate() == 0)

        let target = try DaemonProcess.serving()
        let before = try target.client().call(Request(operation: .status), as: StatusResult.self).checkpoint
        let run = try TTACtlRunner.run(["import", "--endpoint", target.endpoint, "--robot", "reacher2", "--json", "\(out)/\(card.file)"])
        #expect(run.status == 0, "\(run.errors)")
        let result = try WireCoding.decoder.decode(ImportResult.self, from: Data(run.output.utf8))
        // The daemon's SHA-256 of the bytes it received: the card's, so the file is the one exported.
        #expect(result.sha256 == card.sha256 && result.previous == before)
        let client = try target.client()
        #expect(try client.call(Request(operation: .status), as: StatusResult.self).checkpoint == result.checkpoint)
        let history = try client.call(Request(operation: .history, args: .history(HistoryQuery())), as: HistoryResult.self)
        let event = try #require(history.untaskedEvents?.first { $0.kind == "imported" })
        for part in ["the file was checkpoint \(card.checkpoint) of robot reacher2", "on host \(card.sourceHost)", "checksum \(card.checksum)",
                     "sha256 \(card.sha256)"] {
            #expect(event.reason.contains(part), "\(part) in: \(event.reason)")
        }
        #expect(target.terminate() == 0)
    }

    @Test("an import of a checkpoint made for another robot-config is refused, naming both robot-configs")
    func anotherRobotConfigsCheckpointIsRefusedByName() throws {
        let source = try DaemonProcess.serving()
        let out = Self.outFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let card = try Self.export(source, which: "live", out: out)
        #expect(source.terminate() == 0)

        // arm-b: reacher2's robot-config under another name, so the shapes agree and only the name differs.
        let yaml = try String(contentsOfFile: DaemonProcess.robotConfigs + "/reacher2.yaml", encoding: .utf8)
        let robots = try DaemonRobotConfigStartupTests.robotFolder(extra: ["arm-b.yaml": yaml])
        defer { try? FileManager.default.removeItem(atPath: robots) }
        let target = try DaemonProcess.serving(robotConfigDirectory: robots)
        let live = try target.client().call(Request(operation: .status), as: StatusResult.self).checkpoint
        let run = try TTACtlRunner.run(["import", "--endpoint", target.endpoint, "--robot", "arm-b", "\(out)/\(card.file)"])
        #expect(run.status == 1)
        #expect(run.errors.contains("made for robot-config \"reacher2\", not \"arm-b\""), "\(run.errors)")
        #expect(!run.errors.contains("besides"), "the shapes agree: \(run.errors)")
        // Shapes that differ too are named after the robot-configs.
        let pusher = try TTACtlRunner.run(["import", "--endpoint", target.endpoint, "--robot", "pusher", "--no-card", "\(out)/\(card.file)"])
        #expect(pusher.status == 1)
        #expect(pusher.errors.contains("not \"pusher\"") && pusher.errors.contains("observation_size: the file says 10"), "\(pusher.errors)")
        #expect(try target.client().call(Request(operation: .status), as: StatusResult.self).checkpoint == live)
        #expect(target.terminate() == 0)
    }

    @Test("a damaged exported file, or a card of another file, is refused and the live policy stays")
    func damagedFileOrForeignCardIsRefused() throws {
        let daemon = try DaemonProcess.serving()
        let out = Self.outFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let card = try Self.export(daemon, which: "live", out: out)
        let live = try daemon.client().call(Request(operation: .status), as: StatusResult.self).checkpoint
        let path = "\(out)/\(card.file)"
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))

        var damaged = good
        damaged[damaged.count - 3] ^= 0x10
        try Data(damaged).write(to: URL(fileURLWithPath: path))
        let broken = try TTACtlRunner.run(["import", "--endpoint", daemon.endpoint, "--robot", "reacher2", path])
        #expect(broken.status == 1)
        #expect(broken.errors.contains("is damaged") && broken.errors.contains("checksum mismatch"), "\(broken.errors)")

        // The file whole again, but its card claims another file's checksum.
        try Data(good).write(to: URL(fileURLWithPath: path))
        var foreign = card
        foreign.checksum = "sha256:" + String(repeating: "ab", count: 32)
        try WireCoding.encoder.encode(foreign).write(to: URL(fileURLWithPath: "\(out)/\(card.checkpoint).card.json"))
        let mismatched = try TTACtlRunner.run(["import", "--endpoint", daemon.endpoint, "--robot", "reacher2", path])
        #expect(mismatched.status == 1)
        #expect(mismatched.errors.contains("args.card.checksum") && mismatched.errors.contains("the card belongs to another file"),
                "\(mismatched.errors)")
        #expect(try daemon.client().call(Request(operation: .status), as: StatusResult.self).checkpoint == live)
        #expect(daemon.terminate() == 0)
    }
}
