import CMuJoCo

/// The state of one rollout (`mjData`) of a shared `MJModel`.
///
/// One `MJData` belongs to one attempt; N attempts of a task each own one and step side by side.
public final class MJData: @unchecked Sendable {
    /// The model this state belongs to (kept alive as long as the data).
    public let model: MJModel
    /// The underlying `mjData*`.
    public let pointer: UnsafeMutablePointer<mjData>

    /// Allocates the state for `model`, at the model's initial configuration.
    public init(model: MJModel) throws {
        guard let data = mj_makeData(model.pointer) else {
            throw MuJoCoError("make_data", "allocation failed")
        }
        self.model = model
        self.pointer = data
        mj_forward(model.pointer, data)
    }

    deinit { mj_deleteData(pointer) }

    /// Back to the model's initial state (qpos0, zero velocity, time 0).
    public func reset() {
        mj_resetData(model.pointer, pointer)
        mj_forward(model.pointer, pointer)
    }

    /// Advances the simulation by `count` time steps.
    public func step(_ count: Int = 1) {
        for _ in 0..<count { mj_step(model.pointer, pointer) }
    }

    /// Recomputes derived quantities (site positions, ...) after setting qpos/qvel by hand.
    public func forward() { mj_forward(model.pointer, pointer) }

    /// Simulated time in seconds.
    public var time: Double { pointer.pointee.time }

    /// Whether the state holds NaN/Inf or MuJoCo flagged instability (a diverged simulation).
    public var isUnstable: Bool {
        let warnings = withUnsafeBytes(of: pointer.pointee.warning) { $0.bindMemory(to: mjWarningStat.self) }
        let bad = warnings[Int(mjWARN_BADQACC.rawValue)].number + warnings[Int(mjWARN_BADQPOS.rawValue)].number
            + warnings[Int(mjWARN_BADQVEL.rawValue)].number
        return bad > 0 || qpos.contains { !$0.isFinite } || qvel.contains { !$0.isFinite }
    }

    /// Joint positions (`nq`).
    public var qpos: UnsafeMutableBufferPointer<Double> { .init(start: pointer.pointee.qpos, count: model.nq) }
    /// Joint velocities (`nv`).
    public var qvel: UnsafeMutableBufferPointer<Double> { .init(start: pointer.pointee.qvel, count: model.nv) }
    /// Actuator controls (`nu`), read by the next `step`.
    public var ctrl: UnsafeMutableBufferPointer<Double> { .init(start: pointer.pointee.ctrl, count: model.nu) }

    /// World position of site `id` (valid after `step` or `forward`).
    public func sitePosition(_ id: Int) -> SIMD3<Double> {
        let p = pointer.pointee.site_xpos! + 3 * id
        return SIMD3(p[0], p[1], p[2])
    }

    /// World position of body `id`.
    public func bodyPosition(_ id: Int) -> SIMD3<Double> {
        let p = pointer.pointee.xpos! + 3 * id
        return SIMD3(p[0], p[1], p[2])
    }
}

extension MJData {
    /// Positions of the mocap bodies, 3 per mocap body (`mocap_pos`); read by the next step or forward.
    public var mocapPosition: UnsafeMutableBufferPointer<Double> {
        .init(start: pointer.pointee.mocap_pos, count: model.nmocap * 3)
    }

    /// Copies positions, velocities, controls and mocap poses from `other` (same model layout), and recomputes.
    public func copyState(from other: MJData) {
        for i in 0..<model.nq { qpos[i] = other.qpos[i] }
        for i in 0..<model.nv { qvel[i] = other.qvel[i] }
        for i in 0..<model.nu { ctrl[i] = other.ctrl[i] }
        for i in 0..<model.nmocap * 3 { mocapPosition[i] = other.mocapPosition[i] }
        pointer.pointee.time = other.pointer.pointee.time
        forward()
    }
}
