import Foundation
import Learning
import Testing
@testable import Adaptation

/// The `learning:` section is read by the robot-config's node walker; `PPOConfig` keeps its JSON
/// coding in Learning. The two must know the same keys, or a hyperparameter added to one would be
/// refused (or silently unreadable) in the other.
@Suite struct LearningSectionTests {
    @Test func theSectionReaderKnowsEveryKeyPPOConfigEncodes() throws {
        var config = PPOConfig()
        config.trainable = ["head"]  // encoded only when set
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as? [String: Any]
        let encoded = Set(try #require(json).keys)
        #expect(encoded == Set(PPOConfig.SectionKey.allCases.map(\.rawValue)))
    }
}
