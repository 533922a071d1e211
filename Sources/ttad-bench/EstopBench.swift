import ArgumentParser
import Foundation
import Synchronization
import TTADTesting
import Wire
import ZeroMQ

/// `ttad-bench estop`: the e-stop's round trip from a client of its own while the daemon is busy
/// with something else: idle, a long history read, a PPO update with its candidate write, a
/// checkpoint write (rollback), and a bridge robot whose controller does not answer.
struct EstopBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "estop", abstract: "E-stop round trip (p50/p99/max) under load: history read, update, checkpoint write, dead controller.")

    @Option(help: "The ttad binary to measure.") var ttad: String = ".build/release/ttad"
    @Option(help: "The robot-configs folder (its reacher2.yaml, models/ and checkpoints/).") var robotConfigs: String = "robot-configs"
    @Option(help: "Finished tasks (8 attempts each) seeded into the history first.") var historyTasks: Int = 10_000
    @Option(help: "E-stops per load.") var samples: Int = 200
    @Option(help: "E-stops with the dead controller (each one's stop to it waits stop_deadline_ms in the background).") var bridgeSamples: Int = 30

    func run() throws {
        let dir = NSTemporaryDirectory() + "ttad-estop-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir + "/robots", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let robots = URL(fileURLWithPath: robotConfigs).path
        // reacher2 with a long update: the whole network trains, 40 epochs (64 attempts a task).
        var yaml = try String(contentsOfFile: robots + "/reacher2.yaml", encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "  epochs: 4\n", with: "  epochs: 40\n  minibatches: 16\n  target_kl: null\n")
            .replacingOccurrences(of: "  trainable: [head.weight, head.bias]", with: "  # trainable: everything")
        try yaml.write(toFile: dir + "/robots/reacher2.yaml", atomically: true, encoding: .utf8)
        for link in ["models", "checkpoints"] {
            try FileManager.default.createSymbolicLink(atPath: "\(dir)/robots/\(link)", withDestinationPath: "\(robots)/\(link)")
        }
        let seeded = ContinuousClock.now
        try SeededHistory.write(to: dir + "/state/history.sqlite", tasks: historyTasks)
        print(String(format: "seeded %d tasks (%d attempts) in %.1f s", historyTasks, historyTasks * 8, Self.seconds(ContinuousClock.now - seeded)))

        var rows: [(String, [Double], String)] = []
        do {
            let daemon = try BenchDaemon(ttad: ttad, dir: dir, robots: dir + "/robots")
            defer { daemon.stop() }
            let endpoint = daemon.endpoint, eventEndpoint = daemon.eventEndpoint
            let stopper = try WireClient(endpoint: endpoint, timeout: .seconds(10))
            rows.append(("idle", try measure(stopper, count: samples) { true }, ""))

            // (b) A client reading the longest history pages there are, back to back.
            let reads = Self.timedCalls(endpoint: endpoint, timeout: .seconds(60)) { reader in
                let page = try reader.call(Request(operation: .history, args: .history(HistoryQuery(limit: 10_000))), as: HistoryResult.self)
                precondition(!page.tasks.isEmpty)
            }
            Thread.sleep(forTimeInterval: 0.2)
            let underReads = try measure(stopper, count: samples) { true }
            let readTimes = try reads.finish()
            rows.append(("history read (limit 10000, 1 MiB pages)", underReads,
                         String(format: "%d reads, %.0f ms each (median)", readTimes.count, Self.median(readTimes) * 1000)))

            // (c) PPO updates: e-stops only while one runs (its last attempt ended, its event not yet out).
            let window = UpdateWindow()
            let events = Background { running in try window.follow(endpoint: eventEndpoint, running: running) }
            let submitter = Background { running in
                let client = try WireClient(endpoint: endpoint, timeout: .seconds(10))
                var seed: UInt64 = 0, submitted = 0
                while running() {
                    if try client.call(Request(operation: .status), as: StatusResult.self).queued < 1 {
                        seed += 1
                        let args = SubmitArgs(task: "reach", attempts: 64, adapt: true, seed: seed)
                        if (try? client.call(Request(operation: .submit, args: .submit(args)), as: SubmitResult.self)) != nil { submitted += 1 }
                    }
                    Thread.sleep(forTimeInterval: 0.02)
                }
                return [Double(submitted)]
            }
            let underUpdates = try measureInUpdates(stopper, window: window)
            _ = try submitter.finish()
            _ = try events.finish()
            rows.append(("PPO update + candidate write (64 attempts, 40 epochs)", underUpdates,
                         String(format: "%d updates, %.0f ms each (median)", window.durations.count, Self.median(window.durations) * 1000)))

            // (d) A client rolling back again and again: each reads a checkpoint and fsyncs the good pointer.
            let rollbacks = Self.timedCalls(endpoint: endpoint, timeout: .seconds(10)) { client in
                _ = try client.call(Request(operation: .rollback, args: .rollback(RollbackArgs(reason: "bench"))), as: AckResult.self)
            }
            Thread.sleep(forTimeInterval: 0.2)
            let underWrites = try measure(stopper, count: samples) { true }
            let writeTimes = try rollbacks.finish()
            rows.append(("checkpoint write (rollback: read + fsync)", underWrites,
                         String(format: "%d rollbacks, %.1f ms each (median)", writeTimes.count, Self.median(writeTimes) * 1000)))
        }

        // (e) A bridge robot whose controller is not there: each e-stop's stop message to it waits
        // stop_deadline_ms for an answer that never comes.
        var bridge = try String(contentsOfFile: robots + "/bridge-example.yaml", encoding: .utf8)
        bridge = bridge.replacingOccurrences(of: "ipc:///run/ttad-bridge/reacher2.sock", with: "ipc://\(dir)/nobody.sock")
        try bridge.write(toFile: dir + "/robots/bridge-example.yaml", atomically: true, encoding: .utf8)
        do {
            let daemon = try BenchDaemon(ttad: ttad, dir: dir, robots: dir + "/robots")
            defer { daemon.stop() }
            let stopper = try WireClient(endpoint: daemon.endpoint, timeout: .seconds(10))
            rows.append(("bridge robot, its controller not there", try measure(stopper, count: bridgeSamples) { true },
                         "each stop to it waits stop_deadline_ms (500) on ttad-estop"))
        }

        print("e-stop round trip from a client of its own (ms): the reply says the e-stop is latched and the running task cut short")
        print("load                                                        n     p50     p99     max   the load")
        for (name, xs, note) in rows {
            let s = xs.sorted()
            guard !s.isEmpty else { print("\(name): no samples"); continue }
            print(name.padding(toLength: 58, withPad: " ", startingAt: 0)
                  + String(format: "%5d %7.2f %7.2f %7.2f   ", s.count, s[s.count / 2], s[min(s.count - 1, Int(Double(s.count) * 0.99))], s.last!)
                  + note)
        }
    }

    /// `count` e-stop round trips (ms) taken while `loaded()` holds before and after; each is
    /// followed by a resume (not timed), so the next e-stop finds the latch clear.
    func measure(_ stopper: WireClient, count: Int, deadline: Duration = .seconds(300), loaded: () -> Bool) throws -> [Double] {
        var samples: [Double] = []
        let end = ContinuousClock.now + deadline
        while samples.count < count, ContinuousClock.now < end {
            guard loaded() else { Thread.sleep(forTimeInterval: 0.001); continue }
            let t0 = ContinuousClock.now
            _ = try stopper.call(Request(operation: .estop), as: AckResult.self)
            let took = Self.seconds(ContinuousClock.now - t0) * 1000
            if loaded() { samples.append(took) }
            _ = try stopper.call(Request(operation: .resume), as: AckResult.self)
            Thread.sleep(forTimeInterval: Double.random(in: 0.002...0.01))
        }
        return samples
    }

    /// Like `measure`, but only e-stops sent and answered within one update window count, and
    /// only windows in which an update was then made (at most 40 samples each, so that they spread
    /// over several updates).
    func measureInUpdates(_ stopper: WireClient, window: UpdateWindow, deadline: Duration = .seconds(900)) throws -> [Double] {
        var samples: [(window: Int, ms: Double)] = []
        let end = ContinuousClock.now + deadline
        func valid() -> [Double] { let made = window.made; return samples.filter { made.contains($0.window) }.map(\.ms) }
        while valid().count < self.samples, ContinuousClock.now < end {
            let w = window.current
            guard w.open, samples.filter({ $0.window == w.id }).count < 40 else { Thread.sleep(forTimeInterval: 0.001); continue }
            let t0 = ContinuousClock.now
            _ = try stopper.call(Request(operation: .estop), as: AckResult.self)
            let took = Self.seconds(ContinuousClock.now - t0) * 1000
            let after = window.current
            if after.open, after.id == w.id { samples.append((w.id, took)) }
            _ = try stopper.call(Request(operation: .resume), as: AckResult.self)
            Thread.sleep(forTimeInterval: Double.random(in: 0.002...0.01))
        }
        // The last window's update may still be on its way.
        Thread.sleep(forTimeInterval: 3)
        return Array(valid().prefix(self.samples))
    }

    /// Writes `tasks` finished tasks of 8 attempts each in one transaction.
    /// A client of its own making `call` back to back on a background thread until `finish()`,
    /// which returns each call's time in seconds.
    static func timedCalls(endpoint: String, timeout: Duration, _ call: @escaping @Sendable (WireClient) throws -> Void) -> Background {
        Background { running in
            let client = try WireClient(endpoint: endpoint, timeout: timeout)
            var times: [Double] = []
            while running() {
                let t0 = ContinuousClock.now
                try call(client)
                times.append(seconds(ContinuousClock.now - t0))
            }
            return times
        }
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
    static func median(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.sorted()[xs.count / 2] }
}

/// A ttad process for a benchmark, in `dir`, serving once it answers ping.
final class BenchDaemon {
    let endpoint: String
    let eventEndpoint: String
    private let process = Process()

    init(ttad: String, dir: String, robots: String) throws {
        endpoint = "ipc://\(dir)/ttad.sock"
        eventEndpoint = "ipc://\(dir)/events.sock"
        let config = """
            request_endpoint: \(endpoint)
            event_endpoint: \(eventEndpoint)
            state_directory: \(dir)/state
            robot_config_directory: \(robots)
            """
        try config.write(toFile: "\(dir)/ttad.yaml", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: ttad)
        process.arguments = ["--config", "\(dir)/ttad.yaml", "--log-level", "error"]
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NOTIFY_SOCKET")
        process.environment = env
        // Each e-stop is logged at `critical`; the benchmark does not need to read them.
        process.standardError = FileHandle.nullDevice
        try process.run()
        let client = try WireClient(endpoint: endpoint, timeout: .milliseconds(200))
        let end = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < end {
            if (try? client.call(Request(operation: .ping), as: Pong.self)) != nil { return }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        stop()
        throw ValidationError("ttad did not answer ping within 60 s")
    }

    /// The daemon's peak resident memory so far (`VmHWM`, kB), or 0 when unreadable.
    var peakRSSKilobytes: Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        return status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
            .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") } ?? 0
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}

/// Work on a thread of its own until `finish()`; the body returns its timings.
final class Background: @unchecked Sendable {
    private let running = Atomic<Bool>(true)
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<[Double], any Error> = .success([])

    init(_ body: @escaping @Sendable (_ running: () -> Bool) throws -> [Double]) {
        Thread.detachNewThread { [self] in
            result = Result { try body { self.running.load(ordering: .relaxed) } }
            done.signal()
        }
    }

    /// Stops the work and returns what it measured.
    func finish() throws -> [Double] {
        running.store(false, ordering: .relaxed)
        done.wait()
        return try result.get()
    }
}

/// Follows the event socket: open from a task's last `attempt_finished` to its `update_finished`.
final class UpdateWindow: @unchecked Sendable {
    private struct State {
        var open = false
        var id = 0
        var since: ContinuousClock.Instant?
        var durations: [Double] = []
        var made: Set<Int> = []
        var finished: [String: Int] = [:]
    }
    private let state = Mutex(State())

    /// Whether a window is open, and which.
    var current: (open: Bool, id: Int) { state.withLock { ($0.open, $0.id) } }
    /// The windows in which an update was made.
    var made: Set<Int> { state.withLock { $0.made } }
    var durations: [Double] { state.withLock { $0.durations } }

    func follow(endpoint: String, running: () -> Bool) throws -> [Double] {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context, .sub)
        defer { socket.close() }
        try socket.subscribe()
        try socket.connect(endpoint)
        while running() {
            guard let frames = try? socket.receive(deadline: .milliseconds(100)), let event = try? Event.decode(frames),
                  let task = event.taskId else { continue }
            state.withLock { s in
                switch event.kind {
                case .attemptFinished:
                    s.finished[task, default: 0] += 1
                    if s.finished[task] == event.attempts { s.id += 1; s.open = true; s.since = .now }
                case .updateFinished:
                    // Only updates that were made count.
                    if s.open, let since = s.since, (event.update?.epochs ?? 0) > 0 {
                        s.durations.append(EstopBench.seconds(ContinuousClock.now - since))
                        s.made.insert(s.id)
                    }
                    s.open = false
                    s.since = nil
                case .taskFinished:
                    s.open = false
                    s.since = nil
                default: break
                }
            }
        }
        return durations
    }
}
