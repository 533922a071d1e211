import ServiceLifecycle

/// A step of the daemon's ordered shutdown that owns no loop of its own (closing the adaptation
/// side, the ZeroMQ context): it waits for the group's graceful shutdown (or cancellation), then
/// runs `action`. Its place in the `ServiceGroup` decides when: services stop in reverse order.
struct ShutdownStep: Service, CustomStringConvertible {
    /// Names the step in the group's log lines.
    let description: String
    private let action: @Sendable () -> Void

    init(_ name: String, action: @escaping @Sendable () -> Void) {
        self.description = name
        self.action = action
    }

    func run() async throws {
        try? await gracefulShutdown()
        await onBlockingThread(action)
    }
}
