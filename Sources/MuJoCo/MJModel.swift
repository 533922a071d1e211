import CMuJoCo
import Glibc

/// A compiled MuJoCo model (`mjModel`): what the robot is. Many `MJData` rollouts share one.
///
/// Treat a model as immutable once rollouts use it; to shift dynamics for one task, `copy()` it
/// first and change the copy. Reading a model from several threads is safe.
public final class MJModel: @unchecked Sendable {
    /// The underlying `mjModel*`; valid for this object's lifetime.
    public let pointer: UnsafeMutablePointer<mjModel>

    /// Loads and compiles an MJCF (or URDF) file.
    public init(path: String) throws {
        var error = [CChar](repeating: 0, count: 1000)
        guard let model = mj_loadXML(path, nil, &error, Int32(error.count)) else {
            throw MuJoCoError("load(\(path))", Self.text(error))
        }
        pointer = model
    }

    /// Compiles MJCF text (through MuJoCo's in-memory file system; 2.2.2 has no string loader).
    public convenience init(xml: String, name: String = "model.xml") throws {
        // mjVFS is ~2 MB: keep it on the heap, never on a thread's stack.
        let vfs = UnsafeMutablePointer<mjVFS>.allocate(capacity: 1)
        defer { mj_deleteVFS(vfs); vfs.deallocate() }
        mj_defaultVFS(vfs)
        let bytes = Array(xml.utf8)
        let rc = mj_makeEmptyFileVFS(vfs, name, Int32(bytes.count))
        guard rc == 0 else { throw MuJoCoError("load(\(name))", "could not add the file to the VFS (code \(rc))") }
        let index = Int(mj_findFileVFS(vfs, name))
        withUnsafeMutableBytes(of: &vfs.pointee.filedata) { table in
            let slot = table.baseAddress!.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
            bytes.withUnsafeBytes { slot[index]!.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        }
        try self.init(path: name, vfs: vfs)
    }

    private init(path: String, vfs: UnsafeMutablePointer<mjVFS>) throws {
        var error = [CChar](repeating: 0, count: 1000)
        guard let model = mj_loadXML(path, vfs, &error, Int32(error.count)) else {
            throw MuJoCoError("load(\(path))", Self.text(error))
        }
        pointer = model
    }

    private init(pointer: UnsafeMutablePointer<mjModel>) { self.pointer = pointer }

    /// A deep copy, to change (e.g. shift masses) without touching rollouts of this one.
    public func copy() -> MJModel {
        MJModel(pointer: mj_copyModel(nil, pointer))
    }

    deinit { mj_deleteModel(pointer) }

    /// Generalised position coordinates.
    public var nq: Int { Int(pointer.pointee.nq) }
    /// Degrees of freedom.
    public var nv: Int { Int(pointer.pointee.nv) }
    /// Actuators.
    public var nu: Int { Int(pointer.pointee.nu) }
    /// Bodies (including the world body).
    public var nbody: Int { Int(pointer.pointee.nbody) }
    /// Sites.
    public var nsite: Int { Int(pointer.pointee.nsite) }
    /// Joints.
    public var njnt: Int { Int(pointer.pointee.njnt) }
    /// Geoms.
    public var ngeom: Int { Int(pointer.pointee.ngeom) }
    /// Simulation time step in seconds.
    public var timestep: Double {
        get { pointer.pointee.opt.timestep }
        set { pointer.pointee.opt.timestep = newValue }
    }

    /// The kinds of named objects `id(of:named:)` can look up.
    public enum ObjectType: Sendable {
        case body, joint, geom, site, actuator
        var raw: Int32 {
            switch self {
            case .body: Int32(mjOBJ_BODY.rawValue)
            case .joint: Int32(mjOBJ_JOINT.rawValue)
            case .geom: Int32(mjOBJ_GEOM.rawValue)
            case .site: Int32(mjOBJ_SITE.rawValue)
            case .actuator: Int32(mjOBJ_ACTUATOR.rawValue)
            }
        }
    }

    /// The index of a named object, or nil when the model has none of that name.
    public func id(of type: ObjectType, named name: String) -> Int? {
        let id = mj_name2id(pointer, type.raw, name)
        return id < 0 ? nil : Int(id)
    }

    /// MuJoCo's library version (e.g. 222 for 2.2.2).
    public static var libraryVersion: Int { Int(mj_version()) }

    static func text(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

// MARK: Model arrays that per-task dynamics shifts write (on a copy) and backends read.
extension MJModel {
    /// Bodies with a mocap flag (moved by hand through `MJData.mocapPosition`).
    public var nmocap: Int { Int(pointer.pointee.nmocap) }

    /// Joint damping per degree of freedom (`dof_damping`, `nv`).
    public var dofDamping: UnsafeMutableBufferPointer<Double> { .init(start: pointer.pointee.dof_damping, count: nv) }
    /// Actuator gear, 6 per actuator (`actuator_gear`, `nu * 6`); the first entry scales a joint actuator's torque.
    public var actuatorGear: UnsafeMutableBufferPointer<Double> { .init(start: pointer.pointee.actuator_gear, count: nu * 6) }
    /// Body masses (`body_mass`, `nbody`).
    public var bodyMass: UnsafeMutableBufferPointer<Double> { .init(start: pointer.pointee.body_mass, count: nbody) }
    /// Diagonal body inertias, 3 per body (`body_inertia`, `nbody * 3`).
    public var bodyInertia: UnsafeMutableBufferPointer<Double> { .init(start: pointer.pointee.body_inertia, count: nbody * 3) }
    /// Geom friction (sliding, torsional, rolling), 3 per geom (`geom_friction`, `ngeom * 3`).
    public var geomFriction: UnsafeMutableBufferPointer<Double> { .init(start: pointer.pointee.geom_friction, count: ngeom * 3) }

    /// Where joint `id`'s coordinates start in `qpos`.
    public func jointQposAddress(_ id: Int) -> Int { Int(pointer.pointee.jnt_qposadr[id]) }
    /// Where joint `id`'s degrees of freedom start in `qvel`.
    public func jointDofAddress(_ id: Int) -> Int { Int(pointer.pointee.jnt_dofadr[id]) }
    /// Joint `id`'s kind: 0 free, 1 ball, 2 slide, 3 hinge (`mjtJoint`).
    public func jointType(_ id: Int) -> Int { Int(pointer.pointee.jnt_type[id]) }
    /// The mocap index of body `id`, or nil when the body is not a mocap body.
    public func mocapIndex(ofBody id: Int) -> Int? {
        let index = pointer.pointee.body_mocapid[id]
        return index < 0 ? nil : Int(index)
    }
}
