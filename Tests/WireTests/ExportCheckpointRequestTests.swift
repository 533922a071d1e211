import Foundation
import Testing
@testable import Wire

/// `export_checkpoint`'s arguments and `import`'s model card are checked where they enter,
/// naming the field at fault.
@Suite struct ExportCheckpointRequestTests {
    static func card(_ edit: (inout ModelCard) -> Void = { _ in }) -> ModelCard {
        var card = ModelCard(checkpoint: "ckpt-1-s0-abcd", sha256: String(repeating: "a", count: 64),
                             checksum: "sha256:" + String(repeating: "b", count: 64), robotConfig: "reacher2", sourceHost: "robot-3",
                             which: "good", architecture: "{}", step: 3, createdAt: 1, promotedAt: 2, parents: ["ckpt-0-s0-0000"],
                             metrics: ["success_rate": 0.5],
                             recent: .init(tasks: 1, attempts: 4, successRate: 0.5, meanReward: 0.1, since: 1, until: 2),
                             exportedAt: 3, ttadVersion: "0.1.0")
        edit(&card)
        return card
    }

    /// The field a request is refused on, or nil when it is accepted.
    static func refusedField(_ json: String, attachment: [UInt8]? = nil) -> String? {
        do { _ = try Request.decode(Array(json.utf8), attachment: attachment); return nil } catch { return error.field ?? "-" }
    }

    @Test func theArgumentsRoundTripAndWhichDefaultsToLive() throws {
        let request = Request(id: "e", operation: .exportCheckpoint, args: .exportCheckpoint(ExportCheckpointArgs(robot: "reacher2", which: .good)))
        let text = String(decoding: request.encoded(), as: UTF8.self)
        #expect(text.contains(#""op":"export_checkpoint""#) && text.contains(#""which":"good""#), "\(text)")
        #expect(try Request.decode(request.encoded()) == request)
        let bare = try Request.decode(Array(#"{"v":1,"op":"export_checkpoint","args":{"robot":"reacher2"}}"#.utf8))
        guard case .exportCheckpoint(let args) = bare.args else { Issue.record("\(bare)"); return }
        #expect(args.choice == .live)
    }

    @Test func aBadRobotOrWhichIsRefusedByName() {
        #expect(Self.refusedField(#"{"v":1,"op":"export_checkpoint","args":{"robot":"reacher2","which":"best"}}"#) == "args.which")
        #expect(Self.refusedField(#"{"v":1,"op":"export_checkpoint","args":{"robot":""}}"#) == "args.robot")
        #expect(Self.refusedField(#"{"v":1,"op":"export_checkpoint","args":{}}"#) == "args.robot")
    }

    @Test func anImportCardIsCheckedFieldByField() throws {
        func field(_ card: ModelCard) throws -> String? {
            let request = Request(operation: .import, args: .import(ImportArgs(robot: "reacher2", fileName: "p.safetensors", card: card)),
                                  attachment: [1])
            return Self.refusedField(String(decoding: request.encoded(), as: UTF8.self), attachment: [1])
        }
        #expect(try field(Self.card()) == nil)
        #expect(try field(Self.card { $0.format = "other" }) == "args.card.format")
        #expect(try field(Self.card { $0.formatVersion = 2 }) == "args.card.format_version")
        #expect(try field(Self.card { $0.sha256 = "xyz" }) == "args.card.sha256")
        #expect(try field(Self.card { $0.checksum = "md5:1" }) == "args.card.checksum")
        #expect(try field(Self.card { $0.sourceHost = "robot\n3" }) == "args.card.source_host")
        #expect(try field(Self.card { $0.robotConfig = "" }) == "args.card.robot_config")
    }
}
