/// What can go wrong building or loading a policy.
public enum PolicyError: Error, Equatable, CustomStringConvertible {
    /// The configuration is inconsistent; the text names the field.
    case invalidConfig(String)
    /// A tensor the architecture needs is not in the set being loaded.
    case missingTensor(name: String)
    /// A tensor has the wrong shape for this architecture.
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    /// A tensor's value count does not match its shape.
    case valueCountMismatch(name: String, expected: Int, found: Int)
    /// An observation-normaliser tensor (`obs_norm.mean`, `obs_norm.std`) is unusable: the text
    /// says why; `index` is the first bad value's, when one is at fault.
    case invalidNormalizer(name: String, index: Int?, String)

    public var description: String {
        switch self {
        case .invalidConfig(let why): "invalid policy config: \(why)"
        case .missingTensor(let name): "policy tensor \"\(name)\" is missing"
        case let .shapeMismatch(name, expected, found):
            "policy tensor \"\(name)\" has shape \(found), this architecture needs \(expected)"
        case let .valueCountMismatch(name, expected, found):
            "policy tensor \"\(name)\" holds \(found) values, its shape needs \(expected)"
        case let .invalidNormalizer(name, index, why):
            "policy tensor \"\(name)\"" + (index.map { " index \($0)" } ?? "") + " \(why)"
        }
    }
}
