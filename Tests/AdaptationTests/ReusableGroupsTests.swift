import Learning
import Policy
import Testing
@testable import Adaptation

/// What an accepted update leaves for the next ones to reuse (`replay_groups`).
@Suite struct ReusableGroupsTests {
    static func attempt(_ reward: Double) -> Trajectory {
        Trajectory(observations: [0, 0], samples: [ActionSample(action: [0], raw: [0], logProb: -1)], temperature: 0.6, reward: reward)
    }

    @Test func keepsTheLastGroupsMarkedReusedWithoutTheAttemptsThatCarryNothing() {
        var kept = ReusableGroups()
        for g in 0..<4 {
            kept.remember([Self.attempt(Double(g)), Self.attempt(0)], advantages: [Double(g + 1), 0], limit: 2)
        }
        #expect(kept.groups.count == 2, "the last 2 groups")
        #expect(kept.recent(2).map(\.advantage) == [3, 4], "oldest first; the attempts at advantage 0 left out")
        #expect(kept.recent(2).allSatisfy { $0.attempt.replayed })
        #expect(kept.recent(1).map(\.advantage) == [4] && kept.recent(0).isEmpty, "a lowered replay_groups reuses fewer at once")
        kept.remember([Self.attempt(1)], advantages: [0], limit: 2)
        #expect(kept.groups.count == 2, "a group with nothing to push adds nothing")
        kept.forget()
        #expect(kept.recent(2).isEmpty)
        kept.remember([Self.attempt(1)], advantages: [1], limit: 0)
        #expect(kept.groups.isEmpty, "replay_groups 0 keeps nothing")
    }
}
