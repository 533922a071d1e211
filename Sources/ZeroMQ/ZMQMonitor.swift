import CZeroMQ
import Foundation

/// Watches a socket's connection events (`zmq_socket_monitor`): lets a client tell "connected to
/// a peer" from "still trying", which sending and receiving alone cannot (a SUB socket pointed at
/// a wrong endpoint just stays silent).
///
/// Use it from the thread that owns the watched socket.
public final class ZMQMonitor {
    /// One event of the watched socket.
    public struct Event: Sendable, Equatable {
        /// The `ZMQ_EVENT_*` bit.
        public let kind: Int32
        /// The event's value (a file descriptor, an errno or a ZAP status, depending on `kind`).
        public let value: UInt32
        /// The endpoint the event concerns.
        public let endpoint: String

        /// A peer completed the ZMTP (and security) handshake: messages can flow.
        public var isHandshakeSucceeded: Bool { kind == ZMQ_EVENT_HANDSHAKE_SUCCEEDED }
        /// The peer refused the handshake (bad protocol, wrong CURVE key, not admitted by ZAP).
        public var isHandshakeFailed: Bool {
            kind == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL || kind == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                || kind == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
        }
    }

    private let watched: ZMQSocket
    private let pair: ZMQSocket

    /// Starts monitoring `socket` (made from `context`) for every event.
    public init(_ socket: ZMQSocket, context: ZMQContext) throws {
        let endpoint = "inproc://zmq-monitor-\(UUID().uuidString)"
        guard zmq_socket_monitor(try socket.live("socket_monitor"), endpoint, ZMQ_EVENT_ALL) == 0 else {
            throw ZMQError("socket_monitor(\(endpoint))")
        }
        watched = socket
        pair = try ZMQSocket(context, .pair)
        try pair.connect(endpoint)
    }

    deinit {
        if let socket = try? watched.live("socket_monitor") { zmq_socket_monitor(socket, nil, 0) }
        pair.close()
    }

    /// The next event, or nil when none comes within `deadline`.
    public func next(deadline: Duration) throws -> Event? {
        let frames: [[UInt8]]
        do { frames = try pair.receive(deadline: deadline) } catch let error as ZMQError where error.isTimeout { return nil }
        // Frame 1: a 16-bit event id and a 32-bit value (native byte order); frame 2: the endpoint.
        guard frames.count == 2, frames[0].count == 6 else { throw ZMQError("monitor event", code: EPROTO) }
        let head = frames[0]
        let kind = head.withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) }
        let value = head.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 2, as: UInt32.self) }
        return Event(kind: Int32(kind), value: value, endpoint: String(decoding: frames[1], as: UTF8.self))
    }

    /// Waits until the watched socket completes a handshake with a peer; false if `deadline`
    /// passes first. Failed handshakes (refused keys) are skipped: libzmq retries them.
    public func waitForHandshake(deadline: Duration) throws -> Bool {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while clock.now < end {
            guard let event = try next(deadline: end - clock.now) else { return false }
            if event.isHandshakeSucceeded { return true }
        }
        return false
    }
}
