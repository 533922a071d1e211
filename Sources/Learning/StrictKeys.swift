/// Decoding that refuses keys it does not know: a typo in a robot-config section
/// (`lerning_rate: 0.01`) is an error naming the key, never a silently kept default.
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
