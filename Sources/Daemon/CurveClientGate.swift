import Foundation
import Logging
import Synchronization
import ZeroMQ

/// Decides which CURVE clients the TCP endpoint admits: the ZAP handler of the daemon's context
/// asks it about each connecting client, and it answers from the allow-list folder
/// (`CurveClientAllowList`), read afresh for every connection so that adding or deleting a
/// `NAME.pub` file takes effect for the next connection without a restart.
///
/// Every refusal is logged (`TTAD_EVENT=curve_client_refused`) with the client's public key in
/// Z85, the same 40 characters an admin would put in a `.pub` file, so
/// `journalctl -u ttad TTAD_EVENT=curve_client_refused` shows who knocked and the key to add.
/// A client that retries (libzmq reconnects every 100 ms) is logged once a minute per key, with
/// the number of refusals in between.
final class CurveClientGate: Sendable {
    /// The ZAP domain of the TCP request socket.
    static let domain = "ttad"
    /// At most one refusal log entry per key in this interval.
    static let refusalLogInterval: Duration = .seconds(60)
    /// Keys remembered for throttling; beyond this the memory is cleared (bounds a key-spraying peer).
    static let rememberedKeys = 1024

    private let directory: String
    private let logger: Logger
    private let refusals = Mutex<[[UInt8]: Refusals]>([:])
    private let lastProblems = Mutex<[String]>([])
    private let authenticator = Mutex<ZMQAuthenticator?>(nil)

    private struct Refusals {
        var lastLogged: ContinuousClock.Instant
        var since = 0
    }

    /// Starts answering ZAP requests in `context` from the keys in `directory`.
    init(context: ZMQContext, directory: String, logger: Logger) throws {
        self.directory = directory
        self.logger = logger
        let handler = try ZMQAuthenticator(context: context) { [weak self] request in
            self?.decide(request) ?? .deny(reason: "ttad is stopping")
        }
        authenticator.withLock { $0 = handler }
        let clients = CurveClientAllowList.read(directory: directory)
        logger.notice("TCP endpoint admits \(clients.clients.count) CURVE client(s) from \(directory): \(clients.clients.values.sorted().joined(separator: ", "))",
                      metadata: ["event": "curve_clients", "directory": "\(directory)"])
    }

    /// Stops the ZAP handler. Call it after closing the sockets it guards.
    func stop() {
        authenticator.withLock { $0 }?.stop()
    }

    /// The verdict for one connecting peer.
    func decide(_ request: ZMQAuthenticator.Request) -> ZMQAuthenticator.Verdict {
        guard request.domain == Self.domain, let key = request.clientKey else {
            return .deny(reason: "only CURVE clients of domain \(Self.domain) are served")
        }
        let allowList = CurveClientAllowList.read(directory: directory)
        logProblemsIfChanged(allowList.problems)
        let z85 = (try? ZMQCurveKeyPair.encode(key)) ?? "?"
        if let name = allowList.client(withKey: key) {
            logger.info("CURVE client \(name) admitted from \(request.address)", metadata: [
                "event": "curve_client_admitted", "client": "\(name)", "client_key": "\(z85)", "peer_address": "\(request.address)",
            ])
            return .allow(userId: name)
        }
        logRefusal(key: key, z85: z85, address: request.address)
        return .deny(reason: "client key not allowed")
    }

    private func logRefusal(key: [UInt8], z85: String, address: String) {
        let now = ContinuousClock.now
        let suppressed: Int? = refusals.withLock { seen in
            if var record = seen[key], now - record.lastLogged < Self.refusalLogInterval {
                record.since += 1
                seen[key] = record
                return nil
            }
            if seen.count >= Self.rememberedKeys { seen.removeAll() }
            let before = seen[key]?.since ?? 0
            seen[key] = Refusals(lastLogged: now)
            return before
        }
        guard let suppressed else { return }
        let more = suppressed > 0 ? " (and \(suppressed) more time(s) since the last entry)" : ""
        logger.warning("refused CURVE client key \(z85) from \(address)\(more): no matching NAME.pub in \(directory)", metadata: [
            "event": "curve_client_refused", "client_key": "\(z85)", "peer_address": "\(address)", "refusals": "\(suppressed + 1)",
        ])
    }

    /// A bad key file is logged when it appears, not on every connection.
    private func logProblemsIfChanged(_ problems: [String]) {
        let changed = lastProblems.withLock { last in
            defer { last = problems }
            return last != problems
        }
        for problem in problems where changed {
            logger.error("CURVE client key ignored: \(problem)", metadata: ["event": "curve_client_key_invalid"])
        }
    }
}
