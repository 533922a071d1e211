import ArgumentParser
import Foundation
import Wire
import ZeroMQ

/// `ttad-bench wire`: the daemon's request round trip against raw libzmq REQ/REP over ipc:// in
/// the same run, the daemon's memory, and its start-up time to READY=1.
struct WireBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wire", abstract: "Request round trip vs raw libzmq, RSS, start-up to READY.")

    @Option(help: "The ttad binary to measure.") var ttad: String = ".build/release/ttad"
    @Option(help: "The robot-configs folder the daemon loads.") var robotConfigs: String = "robot-configs"
    @Option(help: "Round trips per measurement.") var count: Int = 5000
    @Option(help: "Tasks to run before reading RSS.") var tasks: Int = 5

    func run() throws {
        let dir = NSTemporaryDirectory() + "ttad-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        // The daemon, started the way systemd starts it: we hold the notify socket.
        let notify = try DatagramSocket(path: "\(dir)/notify.sock")
        let config = """
            request_endpoint: ipc://\(dir)/ttad.sock
            event_endpoint: ipc://\(dir)/events.sock
            state_directory: \(dir)/state
            robot_config_directory: \(URL(fileURLWithPath: robotConfigs).path)
            """
        try config.write(toFile: "\(dir)/ttad.yaml", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ttad)
        process.arguments = ["--config", "\(dir)/ttad.yaml", "--log-level", "warning"]
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = notify.path
        process.environment = env
        let started = ContinuousClock.now
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        var ready: Duration?
        while ContinuousClock.now - started < .seconds(60), let message = notify.receive(timeoutMs: 1000) {
            if message.contains("READY=1") { ready = ContinuousClock.now - started; break }
        }
        guard let ready else { throw ValidationError("ttad did not send READY=1 within 60 s") }

        let client = try WireClient(endpoint: "ipc://\(dir)/ttad.sock", timeout: .seconds(5))
        // Raw libzmq REQ/REP echo over ipc:// in another process, the floor any ZeroMQ daemon sits
        // on, measured in blocks alternating with the daemon's, so a noisy neighbour slows both alike.
        let rawEcho = try RawEcho(endpoint: "ipc://\(dir)/raw.sock")
        defer { rawEcho.stop() }
        var samples: [Double] = [], raw: [Double] = []
        for _ in 0..<100 { _ = try client.call(Request(operation: .ping), as: Pong.self); try rawEcho.roundTrip() }
        let block = 250
        while samples.count < count {
            for _ in 0..<min(block, count - samples.count) {
                let t0 = ContinuousClock.now
                _ = try client.call(Request(operation: .ping), as: Pong.self)
                samples.append(Self.micros(ContinuousClock.now - t0))
            }
            for _ in 0..<block where raw.count < count {
                let t0 = ContinuousClock.now
                try rawEcho.roundTrip()
                raw.append(Self.micros(ContinuousClock.now - t0))
            }
        }
        for seed in 0..<tasks {
            let id = try client.call(Request(operation: .submit, args: .submit(SubmitArgs(task: "reach", seed: UInt64(seed)))), as: SubmitResult.self).taskId
            while try client.call(Request(operation: .task, args: .task(TaskRef(taskId: id))), as: TaskInfo.self).state == "queued" ||
                  client.call(Request(operation: .task, args: .task(TaskRef(taskId: id))), as: TaskInfo.self).state == "running" {
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        let rss = Self.rssMB(pid: process.processIdentifier)
        let anon = Self.rssMB(pid: process.processIdentifier, field: "RssAnon:")

        let ours = Self.percentiles(samples), floor = Self.percentiles(raw)
        print("request round trip over ipc://, \(count) pings (microseconds)")
        print(String(format: "  raw libzmq REQ/REP      p50 %7.1f  p99 %7.1f", floor.p50, floor.p99))
        print(String(format: "  ttad ping (JSON, ROUTER) p50 %7.1f  p99 %7.1f", ours.p50, ours.p99))
        print(String(format: "  ratio ttad / raw         p50 %7.2fx p99 %7.2fx   (goal: within 2x)", ours.p50 / floor.p50, ours.p99 / floor.p99))
        print(String(format: "start-up to READY=1: %.0f ms (checkpoint loaded, sockets bound)", Self.micros(ready) / 1000))
        print(String(format: "daemon RSS after %d tasks: %.1f MB (goal: under 50 MB), of which %.1f MB private (RssAnon); the rest is shared library pages", tasks, rss, anon))
    }

    static func micros(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
    }

    static func percentiles(_ xs: [Double]) -> (p50: Double, p99: Double) {
        let s = xs.sorted()
        return (s[s.count / 2], s[min(s.count - 1, Int(Double(s.count) * 0.99))])
    }

    static func rssMB(pid: Int32, field: String = "VmRSS:") -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return .nan }
        return kb / 1024
    }
}


/// An AF_UNIX datagram socket standing in for systemd's notify socket.
final class DatagramSocket {
    let path: String
    let fd: Int32
    init(path: String) throws {
        self.path = path
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw ValidationError("cannot bind \(path)") }
    }
    func receive(timeoutMs: Int) -> String? {
        var timeout = timeval(tv_sec: timeoutMs / 1000, tv_usec: Int((timeoutMs % 1000) * 1000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
    }
    deinit { close(fd); unlink(path) }
}

/// `ttad-bench raw-echo`: a raw libzmq REP socket that echoes every request, in its own process
/// (as the daemon is), for `wire`'s floor. Runs until killed.
struct RawEchoServer: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "raw-echo", abstract: "A raw libzmq REP echo server (for `wire`).",
                                                    shouldDisplay: false)
    @Argument(help: "The endpoint to bind.") var endpoint: String

    func run() throws {
        let context = try ZMQContext()
        let server = try ZMQSocket(context, .rep)
        try server.bind(endpoint)
        while true {
            guard let frames = try? server.receive(deadline: .seconds(1)) else { continue }
            try? server.send(frames)
        }
    }
}

/// A REQ client of `ttad-bench raw-echo` running in a child process.
final class RawEcho {
    private let context: ZMQContext
    private let client: ZMQSocket
    private let server = Process()
    private let payload = Request(operation: .ping).encoded()

    init(endpoint: String) throws {
        server.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        server.arguments = ["raw-echo", endpoint]
        try server.run()
        context = try ZMQContext()
        client = try ZMQSocket(context, .req)
        try client.connect(endpoint)
    }

    /// One request and its echo.
    func roundTrip() throws {
        try client.send([payload], deadline: .seconds(5))
        _ = try client.receive(deadline: .seconds(5))
    }

    func stop() {
        server.terminate()
        server.waitUntilExit()
    }
}
