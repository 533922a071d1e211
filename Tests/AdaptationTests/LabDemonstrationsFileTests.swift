import Checkpoints
import Foundation
import Testing
import TTADTesting

/// `ttad-lab experiment --demos-file`: a demonstration set file joins every run, as `ttactl demos
/// add` stores one; a file that does not fit the robot stops the experiment naming it.
@Suite(.enabled(if: Repository.builtProduct("ttad-lab") != nil, "ttad-lab is not built"))
struct LabDemonstrationsFileTests {
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let out = NSTemporaryDirectory() + "ttad-lab-\(UUID().uuidString.prefix(8)).out"
        FileManager.default.createFile(atPath: out, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: out) }
        let lab = Process()
        lab.executableURL = URL(fileURLWithPath: Repository.builtProduct("ttad-lab")!)
        lab.arguments = arguments
        lab.currentDirectoryURL = URL(fileURLWithPath: Repository.root)
        lab.standardOutput = FileHandle(forWritingAtPath: out)
        lab.standardError = lab.standardOutput
        try lab.run()
        lab.waitUntilExit()
        return (lab.terminationStatus, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
    }

    /// Two episodes of 5 steps in reacher2's sizes (10 observed values, 2 actions), or `observationSize` others.
    static func file(observationSize: Int = 10) throws -> String {
        let set = DemonstrationSet(robot: "reacher2", task: "reach", source: "test", successes: [true, false], createdAt: 0,
                                   observationSize: observationSize, actionSize: 2,
                                   observations: (0..<(10 * observationSize)).map { Float($0 % 7) * 0.1 },
                                   actions: (0..<20).map { Float($0 % 3) * 0.2 - 0.2 }, episodeLengths: [5, 5])
        let path = NSTemporaryDirectory() + "demos-\(UUID().uuidString.prefix(8)).safetensors"
        try Data(try DemonstrationFile.encode(set)).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func aDemonstrationFileJoinsEveryRunAndOneOfTheWrongSizeIsRefusedByName() throws {
        let good = try Self.file(), bad = try Self.file(observationSize: 9)
        defer { for path in [good, bad] { try? FileManager.default.removeItem(atPath: path) } }
        let common = ["experiment", "--seeds", "2", "--tasks", "1", "--attempts", "2", "--eval-episodes", "2", "--arms", "adapt"]
        let ran = try Self.run(common + ["--demos-file", good])
        #expect(ran.status == 0, "\(ran.output)")
        for seed in 0..<2 {
            #expect(ran.output.contains("adapt seed \(seed): demonstrations from \(good): set demo-"), "\(ran.output)")
        }
        #expect(ran.output.contains("2 episode(s), 10 steps"), "\(ran.output)")
        let refused = try Self.run(common + ["--demos-file", bad])
        #expect(refused.status != 0)
        #expect(refused.output.contains("--demos-file \(bad)") && refused.output.contains("observations"), "\(refused.output)")
    }
}
