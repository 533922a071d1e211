import Foundation
import Testing
@testable import Wire

/// `import` is the one two-frame request: its JSON, then the file.
@Suite struct ImportRequestTests {

    @Test func theArgumentsAndTheFileFrameRoundTrip() throws {
        let args = ImportArgs(robot: "reacher2", fileName: "p.safetensors", sha256: String(repeating: "a", count: 64), by: "alice@host")
        let request = Request(id: "x", operation: .import, args: .import(args), attachment: [1, 2, 3])
        let frames = request.frames()
        #expect(frames.count == 2 && frames[1] == [1, 2, 3])
        let text = String(decoding: frames[0], as: UTF8.self)
        for key in [#""op":"import""#, #""file_name":"p.safetensors""#, #""robot":"reacher2""#, #""by":"alice@host""#] {
            #expect(text.contains(key), "\(text)")
        }
        #expect(try Request.decode(frames[0], attachment: frames[1]) == request)
    }

    @Test func importWithoutItsFileFrameIsBadFrames() {
        let valid = Array(#"{"v":1,"op":"import","args":{"robot":"reacher2","file_name":"p.safetensors"}}"#.utf8)
        #expect(throws: WireError(.badFrames, "import needs the checkpoint file as a second frame after the JSON")) {
            try Request.decode(valid, attachment: nil)
        }
    }

    @Test func anyOtherOperationWithASecondFrameIsBadFrames() {
        #expect(throws: WireError(.badFrames, "ping is one frame; only import and add_demonstrations send a second (the file)")) {
            try Request.decode(Array(#"{"v":1,"op":"ping"}"#.utf8), attachment: [0])
        }
    }

    @Test func aFileOverTheCapIsTooLarge() {
        let valid = Array(#"{"v":1,"op":"import","args":{"robot":"reacher2","file_name":"p.safetensors"}}"#.utf8)
        let huge = [UInt8](repeating: 0, count: WireVersion.maxAttachmentBytes + 1)
        #expect { try Request.decode(valid, attachment: huge) } throws: { ($0 as? WireError)?.code == .tooLarge }
    }

    @Test func argumentsAreValidatedByName() {
        func field(_ args: String) -> String? {
            let json = Array(#"{"v":1,"op":"import","args":\#(args)}"#.utf8)
            do { _ = try Request.decode(json, attachment: [1]); return nil } catch { return error.field }
        }
        #expect(field(#"{"file_name":"p"}"#) == "args.robot")
        #expect(field(#"{"robot":"r"}"#) == "args.file_name")
        #expect(field(#"{"robot":"r","file_name":"p","sha256":"abc"}"#) == "args.sha256")
        #expect(field(#"{"robot":"r","file_name":"p\n"}"#) == "args.file_name")
        #expect(field(#"{"robot":"r","file_name":"p","by":""}"#) == "args.by")
        #expect(field(#"{"robot":"r","file_name":"p","sha256":"\#(String(repeating: "F", count: 64))"}"#) == nil)
    }
}
