import Foundation
import Testing
import TTADTesting
import Wire

/// A robot-config's `policy.starting_checkpoint` seeds a robot whose state has no checkpoint; a
/// missing or mismatched file is a robot-config error naming the key. A real `ttad` each time.
@Suite(.serialized) struct DaemonStartingCheckpointTests {
    /// A copy of the repository's robot-configs where reacher2.yaml names `seeds/start.safetensors`
    /// (holding `seed`, when given) and the implicit `checkpoints/reacher2.safetensors` is gone.
    static func robotConfigs(seed: String?) throws -> String {
        let folder = NSTemporaryDirectory() + "ttad-start-\(UUID().uuidString.prefix(8))"
        try FileManager.default.copyItem(atPath: DaemonProcess.robotConfigs, toPath: folder)
        try FileManager.default.removeItem(atPath: folder + "/checkpoints/reacher2.safetensors")
        let yaml = folder + "/reacher2.yaml"
        let text = try String(contentsOfFile: yaml, encoding: .utf8)
        #expect(text.contains("\npolicy:\n"))
        try text.replacingOccurrences(of: "\npolicy:\n", with: "\npolicy:\n  starting_checkpoint: seeds/start.safetensors\n")
            .write(toFile: yaml, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: folder + "/seeds", withIntermediateDirectories: true)
        if let seed {
            try FileManager.default.copyItem(atPath: DaemonProcess.robotConfigs + "/checkpoints/\(seed).safetensors",
                                             toPath: folder + "/seeds/start.safetensors")
        }
        return folder
    }

    @Test("the named file seeds the robot: its first checkpoint says it came from that file")
    func namedStartingCheckpointSeedsTheRobot() throws {
        let folder = try Self.robotConfigs(seed: "reacher2")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let daemon = try DaemonProcess(robotConfigDirectory: folder)
        try daemon.waitUntilServing()
        let status = try daemon.client().call(Request(operation: .status), as: StatusResult.self)
        #expect(status.health == "ok", "\(status.healthReason ?? "")")
        let live = try #require(status.checkpoint)
        let file = try Data(contentsOf: URL(fileURLWithPath: "\(daemon.stateDirectory)/checkpoints/reacher2/\(live).safetensors"))
        // The note is JSON inside the header's JSON: drop the escapes before looking for the path.
        let header = String(decoding: file.prefix(8192), as: UTF8.self).replacingOccurrences(of: "\\", with: "")
        #expect(header.contains("from \(folder)/seeds/start.safetensors"), "origin note in \(header.prefix(600))")
        #expect(daemon.terminate() == 0)
    }

    @Test("a missing or mismatched file skips the robot with a robot-config error naming policy.starting_checkpoint",
          arguments: [nil, "pusher"])
    func badStartingCheckpointIsARobotConfigError(seed: String?) throws {
        let folder = try Self.robotConfigs(seed: seed)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let daemon = try DaemonProcess(robotConfigDirectory: folder)
        try daemon.waitUntilServing()
        let status = try daemon.client().call(Request(operation: .status), as: StatusResult.self)
        #expect(status.health == "degraded")
        let reason = status.healthReason ?? ""
        #expect(reason.contains("robot reacher2 skipped") && reason.contains("policy.starting_checkpoint"), "\(reason)")
        #expect(reason.contains(seed == nil ? "no checkpoint file \(folder)/seeds/start.safetensors" : "observation_size: the file says"),
                "\(reason)")
        #expect(!status.robots.contains("reacher2") && status.robots.contains("pusher"))
        #expect(daemon.terminate() == 0)
    }
}
