import ZeroMQ

/// Why a bridge request failed (becomes `hardware_fault: <message>` during an attempt).
struct BridgeFault: Error, CustomStringConvertible {
    enum Kind { case deadline, garbage, controllerError, transport, estop }
    var kind: Kind
    var message: String
    var description: String { message }
}

/// A reply: its header and the binary frames after it.
struct BridgeReply {
    var header: BridgeProtocol.Header
    var frames: [[UInt8]]
}

/// ttad's end of the bridge: one DEALER socket to the controller, used by one thread at a time.
///
/// After any failed request the socket is dropped and a new one made for the next request, so a
/// late reply to an old request can never be taken for the answer to a new one (the old socket,
/// and anything queued on it, is gone). A new socket says `hello` first, and so does every reset
/// (`connect(fresh: true)`), which notices a controller that restarted even when libzmq quietly
/// reconnected the old socket to it.
final class BridgeConnection {
    private let context: ZMQContext
    private let settings: BridgeSettings
    private var socket: ZMQSocket?
    private var nextSeq: UInt64 = 1
    /// The controller's capabilities from the last `hello`.
    private(set) var hello: BridgeProtocol.Header?
    /// How often a wait wakes to look at the e-stop latch.
    private let estopSlice: Duration = .milliseconds(5)

    init(context: ZMQContext, settings: BridgeSettings) {
        self.context = context
        self.settings = settings
    }

    /// Whether a socket is open (a successful hello happened since the last failure).
    var isConnected: Bool { socket != nil && hello != nil }

    /// Drops the socket (and any reply still on its way to it).
    func drop() {
        socket?.close()
        socket = nil
        hello = nil
    }

    private func openSocket() throws(BridgeFault) -> ZMQSocket {
        if let socket { return socket }
        do {
            let s = try ZMQSocket(context, .dealer)
            // ZMTP heartbeats let libzmq notice a dead peer and reconnect on its own.
            try s.setHeartbeat(interval: settings.heartbeatInterval, timeout: settings.heartbeatTimeout)
            try s.setMaxMessageSize(16 << 20)
            try s.connect(settings.endpoint)
            socket = s
            return s
        } catch {
            throw BridgeFault(kind: .transport, message: "cannot connect to \(settings.endpoint): \(error)")
        }
    }

    /// Makes sure a socket is open and the controller said hello; returns its capabilities.
    ///
    /// With `fresh`, says hello again even on an open socket: libzmq reconnects to a controller
    /// that restarted without telling us, and the restarted one may have other capabilities.
    @discardableResult
    func connect(latch: EmergencyStopLatch?, fresh: Bool = false) throws(BridgeFault) -> BridgeProtocol.Header {
        if !fresh, let hello, socket != nil { return hello }
        // A socket without a hello (the controller refused the last one) starts over clean.
        if hello == nil { drop() }
        hello = nil
        let reply = try request(BridgeProtocol.Header(type: .hello, seq: 0), frames: [], deadline: settings.helloDeadline, latch: latch, needsHello: false)
        hello = reply.header
        return reply.header
    }

    /// Sends one request and waits for its reply, at most `deadline`.
    ///
    /// Heartbeats with the request's sequence number are accepted while waiting (a controller may
    /// take long for a reset); silence longer than the heartbeat timeout ends the wait early.
    /// Replies with an older sequence number are stale and skipped; anything undecodable is garbage.
    /// With `latch`, the wait ends within a few milliseconds of an e-stop.
    func request(
        _ header: BridgeProtocol.Header, frames: [[UInt8]], deadline: Duration, latch: EmergencyStopLatch?,
        needsHello: Bool = true
    ) throws(BridgeFault) -> BridgeReply {
        if needsHello { try connect(latch: latch) }
        var header = header
        header.seq = nextSeq
        nextSeq += 1
        let socket = try openSocket()
        let clock = ContinuousClock()
        let start = clock.now
        let end = start + deadline
        do {
            try socket.send([BridgeProtocol.encode(header)] + frames, deadline: deadline)
        } catch {
            drop()
            throw BridgeFault(kind: .deadline, message: "\(header.type.rawValue) seq \(header.seq): could not send within \(deadline) (controller not there?)")
        }
        var lastHeard = start
        while true {
            let now = clock.now
            if let latch, latch.isPressed {
                drop()
                throw BridgeFault(kind: .estop, message: "e-stop")
            }
            if now >= end {
                drop()
                throw BridgeFault(kind: .deadline, message: "\(header.type.rawValue) seq \(header.seq): no reply within \(deadline)")
            }
            if now - lastHeard > settings.heartbeatTimeout {
                drop()
                throw BridgeFault(kind: .deadline, message: "\(header.type.rawValue) seq \(header.seq): controller silent for \(now - lastHeard) (no heartbeat)")
            }
            var slice = end - now
            if latch != nil { slice = min(slice, estopSlice) }
            let message: [[UInt8]]
            do {
                guard try socket.poll(.in, timeout: slice) else { continue }
                message = try socket.receive()
            } catch {
                drop()
                throw BridgeFault(kind: .transport, message: "\(header.type.rawValue) seq \(header.seq): \(error)")
            }
            let reply: BridgeProtocol.Header
            do { reply = try BridgeProtocol.decodeHeader(message.first ?? []) } catch {
                drop()
                throw BridgeFault(kind: .garbage, message: "\(header.type.rawValue) seq \(header.seq): garbage reply: \(error)")
            }
            if reply.seq < header.seq { continue }  // stale: an answer to an earlier request
            guard reply.seq == header.seq else {
                drop()
                throw BridgeFault(kind: .garbage, message: "\(header.type.rawValue) seq \(header.seq): reply has seq \(reply.seq) from the future")
            }
            switch reply.type {
            case .heartbeat:
                lastHeard = clock.now
                continue
            case .error:
                // The controller is alive and answered: keep the socket.
                throw BridgeFault(kind: .controllerError, message: "controller refused \(header.type.rawValue): \(reply.message ?? "no reason given")")
            case header.type:
                return BridgeReply(header: reply, frames: Array(message.dropFirst()))
            default:
                drop()
                throw BridgeFault(kind: .garbage, message: "\(header.type.rawValue) seq \(header.seq): reply of type \(reply.type.rawValue)")
            }
        }
    }

    /// Sends stop and waits for the acknowledgement (at most the stop deadline). Never throws:
    /// returns whether the controller acknowledged.
    @discardableResult
    func sendStop() -> Bool {
        do {
            _ = try request(BridgeProtocol.Header(type: .stop, seq: 0), frames: [], deadline: settings.stopDeadline, latch: nil, needsHello: false)
            return true
        } catch {
            return false
        }
    }
}
