import Synchronization
import Foundation
import Logging
import Wire
import ZeroMQ

/// Serves the request socket on its own thread: reads each request, hands it to the handler,
/// sends the reply. Bad input of any kind gets an error reply; nothing here can stop the loop.
final class RequestServer: @unchecked Sendable {
    typealias Handler = @Sendable (Request) -> [UInt8]

    private let socket: ZMQSocket
    private let tcpSocket: ZMQSocket?
    /// Admits only listed CURVE clients to `tcpSocket` (ZAP); stopped after that socket closes.
    private let clientGate: CurveClientGate?
    private let handler: Handler
    private let logger: Logger
    private let watchdog: ProgressWatchdog
    private let stopFlag = StopFlag()
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)

    init(context: ZMQContext, config: DaemonConfig, watchdog: ProgressWatchdog, logger: Logger, handler: @escaping Handler) throws {
        self.handler = handler
        self.logger = logger
        self.watchdog = watchdog
        socket = try ZMQSocket(context, .router)
        // Hard cap on what libzmq will buffer for one message; anything above the protocol limit
        // but below this still gets a polite `too_large` reply.
        try socket.setMaxMessageSize(Int64(16 * WireVersion.maxRequestBytes))
        try socket.setSendTimeout(.seconds(1))
        try Self.prepareIPC(config.requestEndpoint)
        try socket.bind(config.requestEndpoint)
        try Self.setMode(config.socketMode, endpoint: config.requestEndpoint)
        if let tcp = config.tcpEndpoint, let keyFile = config.curveSecretKeyFile {
            let key = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            clientGate = try CurveClientGate(context: context, directory: config.curveClientKeysDirectory, logger: logger)
            let s = try ZMQSocket(context, .router)
            try s.makeCurveServer(secretKey: ZMQCurveKeyPair.decode(key))
            try s.requireZAP(domain: CurveClientGate.domain)
            try s.setMaxMessageSize(Int64(16 * WireVersion.maxRequestBytes))
            try s.setSendTimeout(.seconds(1))
            try s.bind(tcp)
            tcpSocket = s
        } else {
            tcpSocket = nil
            clientGate = nil
        }
    }

    /// The path of an ipc:// endpoint, or nil for other transports.
    static func ipcPath(_ endpoint: String) -> String? {
        endpoint.hasPrefix("ipc://") ? String(endpoint.dropFirst("ipc://".count)) : nil
    }

    /// Gives an ipc:// socket file `mode` (libzmq creates it under the umask).
    static func setMode(_ mode: UInt16, endpoint: String) throws {
        guard let path = ipcPath(endpoint) else { return }
        guard chmod(path, mode_t(mode)) == 0 else {
            throw DaemonError.startup("cannot set mode \(String(mode, radix: 8)) on \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Creates the socket's folder and removes a stale socket file left by a killed daemon.
    static func prepareIPC(_ endpoint: String) throws {
        guard let path = ipcPath(endpoint) else { return }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        unlink(path)
    }

    func start() {
        let thread = Thread { [self] in
            serve()
            done.signal()
        }
        thread.name = "ttad-requests"
        thread.start()
        self.thread = thread
    }

    /// Asks the loop to finish and waits for it (at most `timeout`).
    func stop(timeout: Duration = .seconds(5)) {
        stopFlag.set()
        guard thread != nil else { return }
        _ = done.wait(timeout: .now() + .milliseconds(Int(timeout.components.seconds * 1000)))
        socket.close()
        tcpSocket?.close()
        clientGate?.stop()
    }

    private func serve() {
        let sockets = [socket] + (tcpSocket.map { [$0] } ?? [])
        while !stopFlag.isSet {
            watchdog.beat("requests")
            watchdog.tick()
            for socket in sockets {
                do {
                    guard try socket.poll(.in, timeout: .milliseconds(sockets.count > 1 ? 50 : 100)) else { continue }
                    let frames = try socket.receive()
                    try socket.send(respond(to: frames))
                } catch let error as ZMQError where error.isTerminated {
                    return
                } catch {
                    logger.warning("request socket error", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// Builds the reply envelope: [identity, (empty delimiter,) reply].
    func respond(to frames: [[UInt8]]) -> [[UInt8]] {
        guard let identity = frames.first else { return [] }
        let payload: [UInt8]
        let prefix: [[UInt8]]
        if frames.count == 3, frames[1].isEmpty {
            prefix = [identity, []]
            payload = frames[2]
        } else if frames.count == 2 {
            prefix = [identity]
            payload = frames[1]
        } else {
            let reply = Reply<Empty>.failure(WireError(.badFrames, "expected one request frame after the envelope, got \(max(0, frames.count - 2))"), id: nil)
            return (frames.count >= 2 && frames[1].isEmpty ? [identity, []] : [identity]) + [reply.encoded()]
        }
        let reply: [UInt8]
        do {
            reply = handler(try Request.decode(payload))
        } catch {
            reply = Reply<Empty>.failure(error, id: nil).encoded()
        }
        return prefix + [reply]
    }
}

/// A flag one thread sets and another polls.
final class StopFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}
