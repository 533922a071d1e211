import CZeroMQ
import Dispatch
import Foundation
import Synchronization

/// A ZAP handler (RFC 27, ZeroMQ's authentication protocol): libzmq asks it about every peer that
/// completes a CURVE handshake with a socket of its context that has a ZAP domain
/// (`ZMQSocket.requireZAP`), and admits the peer only when the answer is "200".
///
/// It owns one REP socket bound to `inproc://zeromq.zap.01` (a context has at most one handler)
/// and the one thread that answers on it. The thread ends on `stop()` or when the context shuts
/// down, and closes the socket itself. Stop it only after the sockets it guards are closed: a
/// peer that connects while no handler is bound is refused only where `requireZAP` returned true.
public final class ZMQAuthenticator: @unchecked Sendable {
    /// What libzmq asks about one connecting peer.
    public struct Request: Sendable, Equatable {
        /// The ZAP domain of the socket the peer connected to.
        public var domain: String
        /// The peer's IP address (tcp://) or empty.
        public var address: String
        /// The security mechanism: "CURVE", "PLAIN" or "NULL".
        public var mechanism: String
        /// CURVE: the client's long-term public key, 32 raw bytes; nil for other mechanisms.
        public var clientKey: [UInt8]?
    }

    /// The handler's answer for one peer.
    public enum Verdict: Sendable, Equatable {
        /// Admit the peer; `userId` is attached to its messages as the "User-Id" property.
        case allow(userId: String)
        /// Refuse the peer (ZAP status 400); `reason` is the status text libzmq receives.
        case deny(reason: String)
    }

    /// Where libzmq sends ZAP requests (fixed by RFC 27).
    public static let endpoint = "inproc://zeromq.zap.01"

    private let stopping = StopSignal()
    private let finished = DispatchSemaphore(value: 0)
    private let thread: Thread

    /// Binds the handler in `context` and starts answering with `decide`.
    ///
    /// `decide` runs on the handler's thread, once per connecting peer; the peer's handshake waits
    /// for it, so it must not block for long. Throws if the context already has a handler.
    public init(context: ZMQContext, decide: @escaping @Sendable (Request) -> Verdict) throws {
        let socket = try ZMQSocket(context, .rep)
        try socket.bind(Self.endpoint)
        try socket.setSendTimeout(.seconds(1))
        let finished = finished, stopping = stopping
        // From here the thread owns the socket (a libzmq socket serves one thread) and closes it;
        // it holds the flag, not self, so releasing the handler stops it (deinit).
        thread = Thread {
            Self.serve(socket: socket, decide: decide, stopping: stopping)
            // Unbind first: a closed socket's inproc name stays taken until the reaper gets to it,
            // and a new handler in the same context must be able to bind right after stop().
            try? socket.unbind(Self.endpoint)
            socket.close()
            finished.signal()
        }
        thread.name = "zmq-zap"
        thread.start()
    }

    /// Ends the handler's thread (at most `timeout` later) and closes its socket. Safe to call twice.
    public func stop(timeout: Duration = .seconds(5)) {
        guard stopping.set() else { return }
        _ = finished.wait(timeout: .now() + .milliseconds(timeout.milliseconds))
    }

    deinit { stop() }

    private static func serve(socket: ZMQSocket, decide: @Sendable (Request) -> Verdict, stopping: StopSignal) {
        while !stopping.isSet {
            do {
                // A short poll so that stop() is noticed quickly; requests are rare (one per connection).
                guard try socket.poll(.in, timeout: .milliseconds(100)) else { continue }
                let frames = try socket.receive()
                try socket.send(answer(frames, decide: decide))
            } catch let error as ZMQError where error.isTerminated {
                return
            } catch {
                // A reply that could not be sent: libzmq drops that handshake. Keep serving the rest.
                continue
            }
        }
    }

    /// The reply frames for one request (RFC 27): version, request id, status, text, user id, metadata.
    static func answer(_ frames: [[UInt8]], decide: @Sendable (Request) -> Verdict) -> [[UInt8]] {
        func reply(_ requestId: [UInt8], _ status: String, _ text: String, userId: String = "") -> [[UInt8]] {
            [Array("1.0".utf8), requestId, Array(status.utf8), Array(text.utf8), Array(userId.utf8), []]
        }
        // version, request id, domain, address, routing id, mechanism, credentials...
        guard frames.count >= 6, String(decoding: frames[0], as: UTF8.self) == "1.0" else {
            return reply(frames.count > 1 ? frames[1] : [], "400", "malformed ZAP request")
        }
        let text = { (i: Int) in String(decoding: frames[i], as: UTF8.self) }
        let mechanism = text(5)
        let clientKey = mechanism == "CURVE" && frames.count == 7 && frames[6].count == 32 ? frames[6] : nil
        if mechanism == "CURVE" && clientKey == nil {
            return reply(frames[1], "400", "CURVE request without a 32-byte client key")
        }
        let request = Request(domain: text(2), address: text(3), mechanism: mechanism, clientKey: clientKey)
        switch decide(request) {
        case .allow(let userId): return reply(frames[1], "200", "OK", userId: userId)
        case .deny(let reason): return reply(frames[1], "400", reason)
        }
    }
}

/// A flag the owner sets once and the handler's thread polls.
private final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)
    /// Sets the flag; true the first time only.
    func set() -> Bool { !flag.exchange(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { flag.load(ordering: .sequentiallyConsistent) }
}
