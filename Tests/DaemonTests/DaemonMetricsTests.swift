import Foundation
import Synchronization
import Testing
import TTADTesting
import Wire
@testable import Daemon

/// The Prometheus `/metrics` endpoint of a real daemon, scraped over a real TCP socket.
@Suite(.serialized) struct DaemonMetricsTests {
    /// A daemon with metrics on, listening on a free loopback port; returns it and the port.
    static func metricsDaemon(_ extra: String = "", stateDirectory: String? = nil) throws -> (DaemonProcess, Int) {
        let daemon = try DaemonProcess.serving(extraConfig: "metrics:\n  enabled: true\n  listen: 127.0.0.1:0\n" + extra, stateDirectory: stateDirectory)
        var port: Int?
        Poll.until(.seconds(10)) {
            // "serving /metrics on 127.0.0.1:PORT"
            guard let range = daemon.log.range(of: #"serving /metrics on 127\.0\.0\.1:[0-9]+"#, options: .regularExpression) else { return false }
            port = Int(daemon.log[range].split(separator: ":").last!)
            return true
        }
        guard let port else { throw DaemonExited(log: "no metrics address in the log\n" + daemon.log) }
        return (daemon, port)
    }

    static func scrape(_ port: Int) throws -> MetricsText {
        let reply = try #require(try HTTPConnection.request("GET", "/metrics", port: port))
        #expect(reply.status == 200, "\(reply.body)")
        #expect(reply.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        return MetricsText(reply.body)
    }

    @Test func metricsAreServedAndMoveAfterATaskAndSurviveARestart() throws {
        let state = NSTemporaryDirectory() + "ttad-metrics-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: state) }
        var (daemon, port) = try Self.metricsDaemon(stateDirectory: state)
        let before = try Self.scrape(port)
        #expect(before.samples[#"ttad_tasks_total{kind="training",state="done"}"#] == 0)
        #expect(before.samples[#"ttad_health{status="ok"}"#] == 1)
        #expect(before.samples["ttad_queue_capacity_tasks"] == 64)
        #expect(before.samples[#"ttad_live_checkpoint_step{robot="reacher2"}"#] != nil)

        // Seed 4 mixes successes and failures on the shipped checkpoint: the task makes an update.
        let accepted = try daemon.submit(SubmitArgs(task: "reach", attempts: 4, seed: 4))
        let info = try daemon.waitForTask(accepted.taskId)
        #expect(info.state == "done")
        var after = try Self.scrape(port)
        // The control loop counts a task just after `task` can report it done.
        Poll.until(.seconds(10)) {
            after = (try? Self.scrape(port)) ?? after
            return after.samples[#"ttad_tasks_total{kind="training",state="done"}"#] == 1
        }
        #expect(after.samples[#"ttad_tasks_total{kind="training",state="done"}"#] == 1)
        #expect(after.sum("ttad_attempts_total") == 4)
        #expect(after.samples[#"ttad_attempts_total{outcome="success"}"#] == Double(info.attempts.filter(\.success).count))
        #expect(after.sum("ttad_updates_total") == 1)
        #expect(after.samples[#"ttad_task_success_ratio{robot="reacher2",task="reach"}"#] == info.successRate)
        #expect(after.samples["ttad_step_turnaround_seconds_count"].map { $0 > 0 } == true, "every robot step is observed")
        #expect(after.samples["ttad_update_duration_seconds_count"] == 1)
        #expect(after.samples["ttad_last_update_approx_kl"] == info.updates.first?.approxKL)

        // An e-stop is counted, and health says so.
        let client = try daemon.client()
        _ = try client.call(Request(operation: .estop), as: AckResult.self)
        let stopped = try Self.scrape(port)
        #expect(stopped.samples["ttad_estops_total"] == 1)
        #expect(stopped.samples[#"ttad_health{status="estopped"}"#] == 1)
        #expect(daemon.terminate() == 0)

        // A restart on the same history starts the counters where they were.
        (daemon, port) = try Self.metricsDaemon(stateDirectory: state)
        let restarted = try Self.scrape(port)
        #expect(restarted.samples[#"ttad_tasks_total{kind="training",state="done"}"#] == 1)
        #expect(restarted.sum("ttad_attempts_total") == 4)
        #expect(restarted.sum("ttad_updates_total") == 1)
        #expect(restarted.samples[#"ttad_task_success_ratio{robot="reacher2",task="reach"}"#] == info.successRate)
        #expect(restarted.samples["ttad_last_update_approx_kl"] == info.updates.first?.approxKL)
        #expect(daemon.terminate() == 0)
    }

    @Test func metricsAreServedOnTheSocketSocketActivationPassesNamedMetrics() throws {
        // systemd's own socket activator (the systemd package's tool): it binds, then on the first
        // connection starts ttad with the socket as fd 3, LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES.
        let activator = "/usr/bin/systemd-socket-activate"
        try #require(FileManager.default.isExecutableFile(atPath: activator), "\(activator) is missing (Debian's systemd package)")
        let port = try Self.freePort()
        // Its own listen address is another port: only the passed socket answers on `port`.
        let daemon = try DaemonProcess(extraConfig: "metrics:\n  enabled: true\n  listen: 127.0.0.1:1\n",
                                       launcher: [activator, "--listen=127.0.0.1:\(port)", "--fdname=metrics"])
        var reply: HTTPConnection.Reply?
        Poll.until(.seconds(30)) {
            reply = try? HTTPConnection.request("GET", "/metrics", port: port)
            return reply?.status == 200
        }
        #expect(reply?.status == 200, "\(daemon.log)")
        #expect(reply.map { MetricsText($0.body).samples[#"ttad_health{status="ok"}"#] } == 1)
        #expect(daemon.log.contains("(socket from systemd)"), "\(daemon.log)")
        #expect(daemon.terminate() == 0)
    }

    /// A loopback port nothing listens on now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func anythingButGetOnMetricsIsRefusedByName() throws {
        let (daemon, port) = try Self.metricsDaemon()
        let post = try #require(try HTTPConnection.request("POST", "/metrics", port: port))
        #expect(post.status == 405)
        #expect(post.headers["allow"] == "GET")
        #expect(post.body.contains("POST"))
        let other = try #require(try HTTPConnection.request("GET", "/status", port: port))
        #expect(other.status == 404)
        #expect(other.body.contains("/status") && other.body.contains("/metrics"))
        let garbage = try HTTPConnection(port: port)
        garbage.send("NOT HTTP AT ALL\r\n\r\n")
        #expect(garbage.reply()?.status == 400)
        // Still serving, and the daemon too.
        _ = try Self.scrape(port)
        #expect(try daemon.client().call(Request(operation: .ping), as: Pong.self).pong)
        #expect(daemon.terminate() == 0)
    }

    @Test func connectionsBeyondTheLimitAreClosedAndASlotFreesWhenOneCloses() throws {
        let (daemon, port) = try Self.metricsDaemon("  max_connections: 2\n  request_timeout_seconds: 120\n")
        // Two connections that never send: they hold both slots.
        var idle = [try HTTPConnection(port: port), try HTTPConnection(port: port)]
        // The limit is checked when the daemon accepts: poll until the third is turned away.
        var refused: HTTPConnection.Reply?
        Poll.until(.seconds(10)) {
            refused = try? HTTPConnection.request("GET", "/metrics", port: port)
            return refused?.status == 503
        }
        #expect(refused?.status == 503)
        #expect(refused?.body.contains("max_connections") == true)
        idle.removeFirst()  // closes one
        var served: HTTPConnection.Reply?
        Poll.until(.seconds(10)) {
            served = try? HTTPConnection.request("GET", "/metrics", port: port)
            return served?.status == 200
        }
        #expect(served?.status == 200)
        _ = idle
        #expect(daemon.terminate() == 0)
    }

    @Test func anEstopIsAnsweredAndCountedWhileEveryMetricsSlotIsHeldAndScrapesRunBackToBack() throws {
        let (daemon, port) = try Self.metricsDaemon("  max_connections: 3\n  request_timeout_seconds: 120\n")
        // Two silent connections hold two slots; a thread scrapes through the third as fast as it can.
        let held = [try HTTPConnection(port: port), try HTTPConnection(port: port)]
        let scraper = Scraper()
        Thread { scraper.run(port: port) }.start()
        defer { scraper.running.store(false, ordering: .relaxed) }
        try #require(Poll.until(.seconds(30)) { scraper.scrapes.load(ordering: .relaxed) >= 3 }, "no scrape got through")
        let client = try daemon.client()
        for _ in 0..<5 {
            _ = try client.call(Request(operation: .estop), as: AckResult.self)
            _ = try client.call(Request(operation: .resume), as: AckResult.self)
        }
        scraper.running.store(false, ordering: .relaxed)
        var after: MetricsText?
        Poll.until(.seconds(10)) {
            after = (try? HTTPConnection.request("GET", "/metrics", port: port)).map { MetricsText($0.body) }
            return after?.samples["ttad_estops_total"] != nil
        }
        #expect(after?.samples["ttad_estops_total"] == 5)
        _ = held
        #expect(daemon.terminate() == 0)
    }

    @Test func aConnectionThatSendsNothingIsClosedAtTheRequestDeadline() throws {
        let (daemon, port) = try Self.metricsDaemon("  request_timeout_seconds: 0.5\n")
        let silent = try HTTPConnection(port: port, readTimeout: .seconds(30))
        // The server closes it (end of stream), rather than the read deadline passing.
        #expect(silent.readToEnd() == "")
        #expect(daemon.terminate() == 0)
    }

    @Test func metricsAreOffByDefault() throws {
        let daemon = try DaemonProcess.serving()
        #expect(!daemon.log.contains("serving /metrics"))
        #expect(daemon.terminate() == 0)
    }

    @Test func aMetricsListenAddressOffLoopbackIsAConfigurationErrorNamingTheKey() throws {
        let daemon = try DaemonProcess(extraConfig: "metrics:\n  enabled: true\n  listen: 0.0.0.0:9464\n")
        try #require(Poll.until(.seconds(30)) { !daemon.process.isRunning }, "still running: \(daemon.log)")
        #expect(daemon.process.terminationStatus == 78)
        #expect(daemon.log.contains("metrics.listen") && daemon.log.contains("loopback"), "\(daemon.log)")
    }

    @Test func everyMetricIsDocumentedAndTheDashboardPlotsOnlyMetricsThatExist() throws {
        let names = Set(DaemonMetrics.help.keys)
        let doc = try String(contentsOfFile: Repository.root + "/docs/metrics.md", encoding: .utf8)
        for name in names { #expect(doc.contains("`\(name)`"), "docs/metrics.md does not list \(name)") }
        let dashboard = try Data(contentsOf: URL(fileURLWithPath: Repository.root + "/docs/grafana-dashboard.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: dashboard) as? [String: Any])
        let panels = try #require(json["panels"] as? [[String: Any]])
        let exprs = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(!exprs.isEmpty)
        var plotted = Set<String>()
        for expr in exprs {
            for match in expr.matches(of: /ttad_[a-z_]+/) {
                let name = String(match.output).replacing(/_(bucket|count|sum)$/, with: "")
                plotted.insert(name)
                #expect(names.contains(name), "the dashboard plots \(match.output), which ttad does not serve")
            }
        }
        #expect(plotted == names, "not plotted: \(names.subtracting(plotted).sorted())")
    }
}

/// Scrapes `/metrics` back to back on a thread of its own until told to stop.
final class Scraper: Sendable {
    let running = Atomic<Bool>(true)
    let scrapes = Atomic<Int>(0)

    func run(port: Int) {
        while running.load(ordering: .relaxed) {
            if (try? HTTPConnection.request("GET", "/metrics", port: port))?.status == 200 { scrapes.add(1, ordering: .relaxed) }
        }
    }
}
