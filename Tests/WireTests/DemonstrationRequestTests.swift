import Foundation
import Testing
@testable import Wire

/// `demo`, `demos`, `remove_demonstrations` and `add_demonstrations` (docs/wire-protocol.md).
@Suite struct DemonstrationRequestTests {
    @Test func addDemonstrationsCarriesItsFileAsASecondFrame() throws {
        let args = AddDemonstrationsArgs(robot: "arm", task: "reach", fileName: "teleop.npz", sha256: String(repeating: "b", count: 64))
        let request = Request(id: "x", operation: .addDemonstrations, args: .addDemonstrations(args), attachment: [9, 8, 7])
        let frames = request.frames()
        #expect(frames.count == 2 && frames[1] == [9, 8, 7])
        let text = String(decoding: frames[0], as: UTF8.self)
        #expect(text.contains(#""op":"add_demonstrations""#) && text.contains(#""file_name":"teleop.npz""#), "\(text)")
        #expect(try Request.decode(frames[0], attachment: frames[1]) == request)
        #expect(throws: WireError(.badFrames, "add_demonstrations needs the demonstration file as a second frame after the JSON")) {
            try Request.decode(frames[0], attachment: nil)
        }
    }

    @Test func theArgumentsAreCheckedByName() {
        func field(_ json: String) -> String? {
            do { _ = try Request.decode(Array(json.utf8), attachment: json.contains("add_demonstrations") ? [1] : nil); return nil } catch {
                return error.field
            }
        }
        #expect(field(#"{"v":1,"op":"demo","args":{"task":"reach","count":0}}"#) == "args.count")
        #expect(field(#"{"v":1,"op":"demo","args":{"task":"reach","count":101}}"#) == "args.count")
        #expect(field(#"{"v":1,"op":"demo","args":{"count":2}}"#) == "args.task")
        #expect(field(#"{"v":1,"op":"demo","args":{"task":"reach","count":3}}"#) == nil)
        #expect(field(#"{"v":1,"op":"remove_demonstrations","args":{"id":""}}"#) == "args.id")
        #expect(field(#"{"v":1,"op":"add_demonstrations","args":{"robot":"arm","task":"","file_name":"a.npz"}}"#) == "args.task")
        #expect(field(#"{"v":1,"op":"add_demonstrations","args":{"robot":"arm","task":"reach","file_name":"a.npz","sha256":"xyz"}}"#) == "args.sha256")
        #expect(field(#"{"v":1,"op":"demos","args":{"robot":"arm"}}"#) == nil)
    }
}
