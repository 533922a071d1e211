import CZeroMQ

/// An error from libzmq, with the operation that failed and libzmq's own explanation.
public struct ZMQError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What the wrapper was doing, e.g. `bind(ipc:///run/ttad/ttad.sock)`.
    public let operation: String
    /// The errno libzmq reported.
    public let code: Int32

    /// True when the call gave up because its deadline passed (EAGAIN under a send or receive timeout).
    public var isTimeout: Bool { code == EAGAIN }

    /// True when the context was shut down: the owning thread should finish.
    public var isTerminated: Bool { code == ETERM }

    public var description: String {
        if isTimeout { return "zmq \(operation): timed out" }
        return "zmq \(operation): \(String(cString: zmq_strerror(code))) (errno \(code))"
    }

    init(_ operation: String, code: Int32 = zmq_errno()) {
        self.operation = operation
        self.code = code
    }
}
