/// One block of a MuJoCo robot's observation vector; the observation is the blocks in order.
public enum ObservationItem: Sendable, Equatable {
    /// Joint positions (`qpos`) of the named hinge or slide joints.
    case jointPosition([String])
    /// cos of the named hinge joints' angles (angles wrap; cos/sin do not).
    case jointCos([String])
    /// sin of the named hinge joints' angles.
    case jointSin([String])
    /// Joint velocities (`qvel`) of the named joints.
    case jointVelocity([String])
    /// World coordinates of a point, on the chosen axes.
    case position(PointRef, axes: [Int])
    /// `to - from` in world coordinates, on the chosen axes (e.g. fingertip minus target).
    case vector(from: PointRef, to: PointRef, axes: [Int])

    /// How many floats this block contributes.
    public var size: Int {
        switch self {
        case .jointPosition(let j), .jointCos(let j), .jointSin(let j), .jointVelocity(let j): j.count
        case .position(_, let axes), .vector(_, _, let axes): axes.count
        }
    }

    static func parse(_ node: ConfigNode) throws(RobotConfigError) -> ObservationItem {
        let type = try node.required("type").string()
        switch type {
        case "joint_position", "joint_cos", "joint_sin", "joint_velocity":
            try node.onlyKeys(["type", "joints"])
            let joints = try node.required("joints").strings()
            if joints.isEmpty { throw try node.required("joints").error("expected at least one joint name") }
            switch type {
            case "joint_position": return .jointPosition(joints)
            case "joint_cos": return .jointCos(joints)
            case "joint_sin": return .jointSin(joints)
            default: return .jointVelocity(joints)
            }
        case "position":
            try node.onlyKeys(["type", "point", "axes"])
            return .position(try node.required("point").point(), axes: try node.optional("axes")?.axes() ?? [0, 1, 2])
        case "vector":
            try node.onlyKeys(["type", "from", "to", "axes"])
            return .vector(
                from: try node.required("from").point(), to: try node.required("to").point(),
                axes: try node.optional("axes")?.axes() ?? [0, 1, 2])
        default:
            throw try node.required("type").error(
                "expected one of joint_position, joint_cos, joint_sin, joint_velocity, position, vector, found \"\(type)\"")
        }
    }
}
