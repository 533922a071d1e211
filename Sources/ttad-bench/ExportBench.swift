import ArgumentParser
import Foundation
import TTADTesting

/// `ttad-bench export`: the peak memory (max RSS) of `ttactl export` and of the daemon serving it,
/// over seeded histories of different lengths. Streaming shows as a ttactl RSS that stays flat
/// while the history grows a hundredfold.
struct ExportBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Peak RSS of `ttactl export` (csv/jsonl, tasks/attempts) and of ttad, by history length.")

    @Option(help: "The ttad binary (ttactl is taken from beside it).") var ttad: String = ".build/release/ttad"
    @Option(help: "The robot-configs folder.") var robotConfigs: String = "robot-configs"
    @Option(help: "History lengths to seed (finished tasks, 8 attempts each); repeat the option for several.")
    var historyTasks: [Int] = [1_000, 100_000]

    func run() throws {
        let ttactl = URL(fileURLWithPath: ttad).deletingLastPathComponent().appendingPathComponent("ttactl").path
        print("history   export            rows      ttactl max RSS   ttad VmHWM after   wall")
        for count in historyTasks {
            let dir = NSTemporaryDirectory() + "ttad-export-bench-\(getpid())-\(count)"
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try SeededHistory.write(to: dir + "/state/history.sqlite", tasks: count)
            let daemon = try BenchDaemon(ttad: ttad, dir: dir, robots: URL(fileURLWithPath: robotConfigs).path)
            defer { daemon.stop() }
            for (format, kind) in [("csv", "tasks"), ("jsonl", "tasks"), ("csv", "attempts"), ("jsonl", "attempts")] {
                let started = ContinuousClock.now
                let (rss, rows) = try Self.peakRSS(ttactl, ["export", "--format", format, "--kind", kind, "--endpoint", daemon.endpoint,
                                                          "--timeout", "120"])
                let wall = ContinuousClock.now - started
                print(String(format: "%7d   %-5@ %-10@ %9d   %10.1f MB   %12.1f MB   %5.1f s", count, format as NSString, kind as NSString,
                             rows, Double(rss) / 1024, Double(daemon.peakRSSKilobytes) / 1024,
                             Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18))
            }
        }
    }

    /// Runs `binary arguments` under GNU time (stdout to /dev/null); returns its max RSS in kB and
    /// the row count it reported (`exported N ...` on stderr).
    static func peakRSS(_ binary: String, _ arguments: [String]) throws -> (Int, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        process.arguments = ["-f", "maxrss_kb=%M", binary] + arguments
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let rss = text.firstMatch(of: /maxrss_kb=([0-9]+)/).flatMap({ Int($0.1) }),
              let rows = text.firstMatch(of: /exported ([0-9]+)/).flatMap({ Int($0.1) }) else {
            throw ValidationError("ttactl export failed (exit \(process.terminationStatus)): \(text)")
        }
        return (rss, rows)
    }
}
