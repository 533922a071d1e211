import Synchronization

/// A latched e-stop shared by a robot and all its attempts: set from any thread, read on every step.
public final class EmergencyStopLatch: Sendable {
    private let pressed = Atomic<Bool>(false)

    public init() {}

    /// Latches the stop; every attempt sees it on its next check.
    public func press() { pressed.store(true, ordering: .sequentiallyConsistent) }
    /// Releases the latch.
    public func clear() { pressed.store(false, ordering: .sequentiallyConsistent) }
    /// Whether the stop is latched.
    public var isPressed: Bool { pressed.load(ordering: .sequentiallyConsistent) }
}
