import Yams

extension ConfigNode {
    /// The node of a section another module reads (`policy:`, `learning:`, `adaptation:`), which
    /// `RobotConfig` keeps as YAML text: parsed again at its key, so its errors name the file and
    /// the full key path as the rest of the file's do. nil when the section is absent.
    public init?(section text: String?, file: String, key: String) throws(RobotConfigError) {
        guard let text else { return nil }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw RobotConfigError(file: file, keyPath: key, message: "not valid YAML: \(error)")
        }
        guard let node else { return nil }
        self.init(node: node, file: file, path: key)
        _ = try entries()  // a section is a mapping
    }

    /// The mapping's entries with their keys as `Key` values, in file order, leaving out keys
    /// whose value is null or empty (as if absent). Any other key is an error naming it and the
    /// known ones: a typo must never fall back to a default silently.
    public func entries<Key: RawRepresentable & CaseIterable>(of _: Key.Type) throws(RobotConfigError) -> [(key: Key, value: ConfigNode)]
    where Key.RawValue == String {
        var out: [(Key, ConfigNode)] = []
        for (name, value) in try entries() {
            guard let key = Key(rawValue: name) else {
                throw value.error("unknown key; expected one of \(Key.allCases.map(\.rawValue).sorted().joined(separator: ", "))")
            }
            if !value.isNull { out.append((key, value)) }
        }
        return out
    }

    /// Whether this node is YAML's null (`~`, `null`, or nothing after the colon).
    public var isNull: Bool {
        guard case .scalar(let s) = node else { return false }
        return s.tag.rawValue == Tag.Name.null.rawValue || (s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string))
    }

    /// Whether the mapping holds `key` with a null value (`target_kl: null` says "off", unlike an absent key).
    public func isNull(_ key: String) -> Bool {
        guard case .mapping(let mapping) = node, let value = mapping[key] else { return false }
        return ConfigNode(node: value, file: file, path: path).isNull
    }

    /// An integer in `range`; the error gives the range.
    public func int(in range: ClosedRange<Int>) throws(RobotConfigError) -> Int {
        guard case .scalar(let s) = node, let value = Int(s.string), range.contains(value) else {
            throw error("expected \(Self.describe(range, "an integer")), found \(shown)")
        }
        return value
    }

    /// A finite number in `range` (an infinite bound means no bound); the error gives the range.
    public func double(in range: ClosedRange<Double>) throws(RobotConfigError) -> Double {
        guard let value = try? double(), value.isFinite, range.contains(value) else {
            throw error("expected \(Self.describe(range, "a number")), found \(shown)")
        }
        return value
    }

    /// One of the given words, mapped to its value; the error lists the words in the order given.
    public func choice<T>(_ options: [(word: String, value: T)]) throws(RobotConfigError) -> T {
        guard case .scalar(let s) = node, let match = options.first(where: { $0.word == s.string }) else {
            throw error("expected one of \(options.map(\.word).joined(separator: ", ")), found \(shown)")
        }
        return match.value
    }

    private static func describe<T: Comparable & Numeric>(_ range: ClosedRange<T>, _ what: String) -> String {
        let unboundedAbove = (range.upperBound as? Int == Int.max) || (range.upperBound as? Double == .infinity)
        let unboundedBelow = (range.lowerBound as? Int == Int.min) || (range.lowerBound as? Double == -.infinity)
        // 0, not 0.0: the bound as a person would write it in the file.
        func text(_ x: T) -> String {
            if let d = x as? Double, d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
            return "\(x)"
        }
        switch (unboundedBelow, unboundedAbove) {
        case (false, true): return "\(what) >= \(text(range.lowerBound))"
        case (true, false): return "\(what) <= \(text(range.upperBound))"
        case (true, true): return what
        case (false, false): return "\(what) from \(text(range.lowerBound)) to \(text(range.upperBound))"
        }
    }
}
