/// Decoding that refuses keys it does not know: a typo (`lerning_rate`) in a serialised
/// `PPOConfig` or `RewardWeights` is an error naming the key, never a silently kept default.
///
/// Robot-configs do not come this way: their `learning:` and `adaptation:` sections are read by
/// the robot-config's node walker (`ConfigNode` in Robots, used by Adaptation), which is strict
/// itself and names the file and the full key path. This covers Learning's own Codable values.
public extension Decoder {
    /// Throws `DecodingError.dataCorrupted` at the first key of this mapping that `Key` does not list.
    func rejectUnknownKeys<Key: CodingKey & CaseIterable & RawRepresentable>(_ keys: Key.Type) throws where Key.RawValue == String {
        let known = Key.allCases.map(\.rawValue)
        for key in try container(keyedBy: AnyKey.self).allKeys where !known.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(.init(
                codingPath: codingPath + [key],
                debugDescription: "unknown key; known keys: \(known.sorted().joined(separator: ", "))"))
        }
    }
}

/// Any string key: lets `rejectUnknownKeys` see every key a mapping holds.
private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
