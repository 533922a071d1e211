import Foundation

/// Waiting for something another process does, without asserting how long it takes.
public enum Poll {
    /// Checks `condition` every `interval` until it holds (true) or `deadline` has passed (false,
    /// after one last check). The deadline only keeps a broken run from hanging: pick it generous,
    /// and assert the outcome, never the time taken.
    @discardableResult
    public static func until(_ deadline: Duration = .seconds(30), every interval: Duration = .milliseconds(20),
                             _ condition: () throws -> Bool) rethrows -> Bool {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while clock.now < end {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18)
        }
        return try condition()
    }
}
