import Synchronization

/// A flag another thread raises to cancel a running task at the next step.
public final class Cancellation: Sendable {
    private let flag = Mutex<CancelReason?>(nil)
    public init() {}
    /// Asks the task to stop, saying why; the first reason given stands.
    public func cancel(_ reason: CancelReason) { flag.withLock { if $0 == nil { $0 = reason } } }
    /// Why it was cancelled, or nil.
    public var reason: CancelReason? { flag.withLock { $0 } }
    public var isCancelled: Bool { reason != nil }
}
