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

extension MJData {
    /// Back to the model's initial state like `reset()`, but touching only the state that
    /// carries over between steps (qpos, qvel, act, ctrl, warm start, applied forces, mocap poses,
    /// time, warnings), then `forward`.
    ///
    /// `mj_resetData` also clears the whole scratch stack, which costs as much as dozens of steps on
    /// a small model; attempts reset often, so they use this.
    public func resetState() {
        let m = model.pointer.pointee
        let d = pointer
        d.pointee.time = 0
        for i in 0..<model.nq { d.pointee.qpos[i] = m.qpos0[i] }
        for i in 0..<model.nv {
            d.pointee.qvel[i] = 0
            d.pointee.qacc_warmstart[i] = 0
            d.pointee.qfrc_applied[i] = 0
        }
        for i in 0..<Int(m.na) {
            d.pointee.act[i] = 0
            d.pointee.act_dot[i] = 0
        }
        for i in 0..<model.nu { d.pointee.ctrl[i] = 0 }
        for i in 0..<(6 * model.nbody) { d.pointee.xfrc_applied[i] = 0 }
        for body in 0..<model.nbody {
            let mocap = Int(m.body_mocapid[body])
            guard mocap >= 0 else { continue }
            for k in 0..<3 { d.pointee.mocap_pos[3 * mocap + k] = m.body_pos[3 * body + k] }
            for k in 0..<4 { d.pointee.mocap_quat[4 * mocap + k] = m.body_quat[4 * body + k] }
        }
        withUnsafeMutableBytes(of: &d.pointee.warning) { $0.initializeMemory(as: UInt8.self, repeating: 0) }
        mj_forward(model.pointer, d)
    }
}
