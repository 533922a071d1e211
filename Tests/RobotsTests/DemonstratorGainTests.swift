import Demonstrators
import Testing

/// `Demonstrators.make(for:gain:)`: the scripted person of `ttad-controller --person-gain`.
@Suite struct DemonstratorGainTests {
    /// reacher2's layout: cos q, sin q, q' (at rest), target xy, fingertip - target xy (3 cm short).
    static let reacherObservation: [Float] = [1, 0.8, 0, 0.6, 0, 0, 0.1, 0.1, -0.03, 0]

    @Test func aGainScalesTheProportionalPartOfTheActionAndTheActionStaysInItsBounds() throws {
        let base = try #require(Demonstrators.make(for: "reacher2")).action(Self.reacherObservation)
        let doubled = try #require(Demonstrators.make(for: "reacher2", gain: 2)).action(Self.reacherObservation)
        #expect(base.allSatisfy { abs($0) > 0.01 && abs($0) < 0.5 }, "an unsaturated action to compare: \(base)")
        for (b, d) in zip(base, doubled) { #expect(abs(d - 2 * b) < 1e-5, "at rest the action is all proportional: \(base) -> \(doubled)") }
        let hard = try #require(Demonstrators.make(for: "reacher2", gain: 100)).action(Self.reacherObservation)
        #expect(hard.allSatisfy { abs($0) <= 1 } && hard.contains { abs($0) == 1 }, "clamped into [-1, 1]: \(hard)")
        #expect(Demonstrators.make(for: "pusher", gain: 2) != nil && Demonstrators.make(for: "unknown", gain: 2) == nil)
    }
}
