import Adaptation
import Foundation
import Logging
import ServiceLifecycle
import Systemd

/// The daemon as systemd sees it, last in the `ServiceGroup` so it starts last and stops first:
/// tells systemd `READY=1` once the other parts run, re-reads the robot-configs on SIGHUP, and on
/// graceful shutdown (SIGTERM) says `STOPPING=1` and ends the running attempt at once
/// (`onStopping`), before the request server, the control loop and the rest stop in turn: the
/// robot must not keep moving while the other parts wind down.
final class DaemonLifecycle: Service, CustomStringConvertible, @unchecked Sendable {
    private let notifier: SystemdNotifier
    private let adaptation: any AdaptationControls & AdaptationStatusSource
    private let readySummary: String
    private let endpoint: String
    private let logger: Logger
    private let onStopping: @Sendable () -> Void
    let description = "DaemonLifecycle"

    /// `readySummary` is the status line systemd shows once the daemon is ready; `endpoint` the
    /// request endpoint the ready log line names; `onStopping` ends the running attempt safely
    /// and keeps the next from starting (`ControlLoop.beginStop`).
    init(notifier: SystemdNotifier, adaptation: any AdaptationControls & AdaptationStatusSource, readySummary: String,
         endpoint: String, logger: Logger, onStopping: @escaping @Sendable () -> Void = {}) {
        self.onStopping = onStopping
        self.notifier = notifier
        self.adaptation = adaptation
        self.readySummary = readySummary
        self.endpoint = endpoint
        self.logger = logger
    }

    func run() async throws {
        let hangup = installHangupHandler()
        notifier.ready(status: readySummary)
        if let degraded = adaptation.degradedReason {
            logger.warning("starting degraded: \(degraded)", metadata: ["event": "degraded", "reason": "\(degraded)"])
        }
        logger.notice("ready: \(readySummary)", metadata: [
            "event": "ready", "endpoint": "\(endpoint)", "checkpoint": "\(adaptation.status.live ?? "")",
        ])
        try? await gracefulShutdown()
        notifier.stopping()
        logger.notice("stopping: ending the running attempt safely", metadata: ["event": "stopping"])
        onStopping()
        hangup.cancel()
    }

    /// SIGHUP re-reads the robot-configs, as `reload` does.
    private func installHangupHandler() -> any DispatchSourceSignal {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { [adaptation, logger] in
            do {
                try adaptation.reload()
                logger.notice("reloaded robot-configs (SIGHUP)", metadata: ["event": "reloaded"])
            } catch {
                logger.error("reload refused, keeping the old robot-configs: \(error)", metadata: ["event": "reload_failed"])
            }
        }
        source.resume()
        return source
    }
}
