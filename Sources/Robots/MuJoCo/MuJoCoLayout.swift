import MuJoCo

/// A robot-config's names (joints, actuators, sites, bodies) resolved to indices in one model,
/// once per robot, so that a step does no name lookups. Valid for every copy of that model.
struct MuJoCoLayout: Sendable {
    struct Joint: Sendable { var name: String; var qpos: Int; var dof: Int }
    enum Point: Sendable { case site(Int), body(Int) }
    enum Op: Sendable {
        case qpos(Int), cos(Int), sin(Int), qvel(Int)
        case position(Point, axis: Int)
        case vector(from: Point, to: Point, axis: Int)
    }
    enum Binding: Sendable { case mocap(Int), qpos(Int, dof: Int) }

    var joints: [Joint]
    var actuators: [Int]
    var observation: [Op]
    var endEffector: Point?
    /// task name -> (param name, where it goes)
    var bindings: [String: [(String, Binding)]]
    /// task name -> (a, b, tolerance)
    var success: [String: (Point, Point, Double)]
    var frameSkip: Int

    init(config: RobotConfig, settings: MuJoCoSettings, model: MJModel) throws {
        func missing(_ what: String, _ name: String) -> RobotError {
            .modelMismatch("\(settings.modelPath) has no \(what) named \"\(name)\" (used by \(config.path))")
        }
        func joint(_ name: String) throws -> Joint {
            guard let id = model.id(of: .joint, named: name) else { throw missing("joint", name) }
            guard model.jointType(id) >= 2 else {
                throw RobotError.modelMismatch("joint \"\(name)\" is a free or ball joint; only hinge and slide joints can be observed or limited")
            }
            return Joint(name: name, qpos: model.jointQposAddress(id), dof: model.jointDofAddress(id))
        }
        func point(_ ref: PointRef) throws -> Point {
            switch ref {
            case .site(let n): guard let id = model.id(of: .site, named: n) else { throw missing("site", n) }; return .site(id)
            case .body(let n): guard let id = model.id(of: .body, named: n) else { throw missing("body", n) }; return .body(id)
            }
        }
        joints = try settings.joints.map(joint)
        actuators = try settings.actuators.map { name in
            // "#<n>" picks an actuator by index: third-party models (gymnasium's) leave motors unnamed.
            if name.hasPrefix("#"), let index = Int(name.dropFirst()) {
                guard index >= 0, index < model.nu else { throw missing("actuator", name) }
                return index
            }
            guard let id = model.id(of: .actuator, named: name) else { throw missing("actuator", name) }
            return id
        }
        var ops: [Op] = []
        for item in settings.observation {
            switch item {
            case .jointPosition(let names): ops += try names.map { .qpos(try joint($0).qpos) }
            case .jointCos(let names): ops += try names.map { .cos(try joint($0).qpos) }
            case .jointSin(let names): ops += try names.map { .sin(try joint($0).qpos) }
            case .jointVelocity(let names): ops += try names.map { .qvel(try joint($0).dof) }
            case .position(let p, let axes):
                let resolved = try point(p)
                ops += axes.map { .position(resolved, axis: $0) }
            case .vector(let from, let to, let axes):
                let a = try point(from), b = try point(to)
                ops += axes.map { .vector(from: a, to: b, axis: $0) }
            }
        }
        observation = ops
        endEffector = try config.safety.workspace?.point.map(point)
        bindings = [:]
        success = [:]
        for (name, task) in config.tasks {
            var list: [(String, Binding)] = []
            for (param, spec) in task.params.sorted(by: { $0.key < $1.key }) {
                switch spec.binding {
                case .mocap(let body, let axis):
                    guard let id = model.id(of: .body, named: body) else { throw missing("body", body) }
                    guard let mocap = model.mocapIndex(ofBody: id) else {
                        throw RobotError.modelMismatch("body \"\(body)\" (task \(name), parameter \(param)) is not a mocap body")
                    }
                    list.append((param, .mocap(3 * mocap + axis)))
                case .joint(let j):
                    let resolved = try joint(j)
                    list.append((param, .qpos(resolved.qpos, dof: resolved.dof)))
                case nil:
                    throw RobotError.modelMismatch("task \(name) parameter \(param) does not say where it goes (sets:)")
                }
            }
            bindings[name] = list
            if case .distance(let a, let b, let tolerance) = task.success {
                success[name] = (try point(a), try point(b), tolerance)
            }
        }
        frameSkip = settings.frameSkip
        guard settings.actuators.count == config.actionSize else {
            throw RobotError.modelMismatch("\(settings.actuators.count) actuators for an action of size \(config.actionSize)")
        }
    }
}
