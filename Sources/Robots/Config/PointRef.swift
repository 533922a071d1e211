/// A point on the robot or in the scene, named in a robot-config as `site:<name>` or `body:<name>`.
///
/// Sites are the natural choice for models written for ttad; bodies let third-party MJCF files
/// (gymnasium's reacher.xml has no sites) be used unchanged.
public enum PointRef: Sendable, Equatable, CustomStringConvertible {
    case site(String)
    case body(String)

    /// Parses `site:name` or `body:name`.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty else { return nil }
        switch parts[0] {
        case "site": self = .site(parts[1])
        case "body": self = .body(parts[1])
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .site(let name): "site:\(name)"
        case .body(let name): "body:\(name)"
        }
    }
}

extension ConfigNode {
    func point() throws(RobotConfigError) -> PointRef {
        let text = try string()
        guard let point = PointRef(text) else { throw error("expected site:<name> or body:<name>, found \"\(text)\"") }
        return point
    }

    /// Axes written as a list of x/y/z (e.g. `[x, y]`); returns indices 0...2.
    func axes() throws(RobotConfigError) -> [Int] {
        var out: [Int] = []
        for item in try list() {
            switch try item.string() {
            case "x": out.append(0)
            case "y": out.append(1)
            case "z": out.append(2)
            default: throw item.error("expected x, y or z, found \(item.shown)")
            }
        }
        if out.isEmpty { throw error("expected at least one of x, y, z") }
        return out
    }
}

extension ConfigNode {
    /// One axis written as x, y or z; returns 0...2.
    func axis() throws(RobotConfigError) -> Int {
        switch try string() {
        case "x": return 0
        case "y": return 1
        case "z": return 2
        default: throw error("expected x, y or z, found \(shown)")
        }
    }
}
