import Foundation
import Testing
@testable import MuJoCo

@Suite struct MuJoCoTests {
    static let pendulumPath = Bundle.module.path(forResource: "pendulum", ofType: "xml", inDirectory: "Models")!

    @Test func loadsAFileAndGravityMovesThePole() throws {
        let model = try MJModel(path: Self.pendulumPath)
        #expect(model.nq == 1 && model.nv == 1 && model.nu == 1)
        #expect(model.id(of: .site, named: "tip") == 0)
        #expect(model.id(of: .joint, named: "nope") == nil)
        let data = try MJData(model: model)
        let tipBefore = data.sitePosition(0)
        #expect(abs(tipBefore.x - 0.5) < 1e-9 && abs(tipBefore.z - 1) < 1e-9)
        data.step(250)  // 0.5 s: a horizontal pole falls under gravity
        #expect(abs(data.time - 0.5) < 1e-9)
        #expect(data.qvel[0] > 1, "gravity spun the hinge: \(data.qvel[0])")
        #expect(data.sitePosition(0).z < 1 - 0.1)
        data.reset()
        #expect(data.time == 0 && data.qpos[0] == 0)
    }

    @Test func controlsTakeEffect() throws {
        let model = try MJModel(path: Self.pendulumPath)
        let up = try MJData(model: model), down = try MJData(model: model)
        up.ctrl[0] = -2
        down.ctrl[0] = 2
        up.step(100); down.step(100)
        #expect(up.qpos[0] < down.qpos[0], "opposite torques move the two rollouts apart")
    }

    @Test func loadsFromAStringThroughTheVFS() throws {
        let xml = try String(contentsOfFile: Self.pendulumPath, encoding: .utf8)
        let model = try MJModel(xml: xml)
        #expect(model.nbody == 2)
        let copy = model.copy()
        copy.timestep = 0.004
        #expect(model.timestep == 0.002, "a copy is independent of its original")
    }

    @Test func badXMLGivesMuJoCosMessage() {
        do {
            _ = try MJModel(xml: "<mujoco><worldbody><body><joint type='nonsense'/></body></worldbody></mujoco>")
            Issue.record("a bad model must not load")
        } catch let error as MuJoCoError {
            #expect(error.message.lowercased().contains("nonsense") || error.message.lowercased().contains("invalid"))
        } catch { Issue.record("unexpected \(error)") }
        #expect(throws: MuJoCoError.self) { try MJModel(path: "/nonexistent/model.xml") }
    }

    @Test func libraryIsMuJoCo222() { #expect(MJModel.libraryVersion == 222) }
}
