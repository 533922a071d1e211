import Foundation

/// One of the daemon's blocking loops on a named thread of its own (`ttad-control`,
/// `ttad-requests`, a worker), and the means to wait for it to end. The loop itself decides when
/// to return (its owner sets a stop flag); this only starts it and tells when it has.
final class LoopThread: Sendable {
    private let done = DispatchSemaphore(value: 0)

    /// Starts `body` on a new thread called `name`.
    init(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [done] in
            body()
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Waits until the loop has returned, or `deadline`; false when the deadline came first.
    @discardableResult
    func wait(until deadline: DispatchTime) -> Bool {
        done.wait(timeout: deadline) == .success
    }
}
