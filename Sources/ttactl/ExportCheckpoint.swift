import ArgumentParser
import Foundation
import Wire

/// `ttactl export-checkpoint --robot R [--which live|good] --out DIR`.
struct ExportCheckpoint: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-checkpoint",
        abstract: "Write a robot's live or last good checkpoint with its model card, for another robot.",
        discussion: """
            Writes DIR/<id>.safetensors (the file exactly as the daemon stores it), DIR/<id>.card.json \
            (the model card: robot-config, architecture, recent success rate and reward, lineage, \
            checksums) and DIR/<id>.card.md (the same for people; a Hugging Face Hub README). Each \
            file is written atomically. `ttactl import` on a robot of the same robot-config reads \
            the card beside the file and records where the policy came from (docs/fleet.md).
            """)

    @OptionGroup var connection: Connection

    @Option(name: .long, help: "The robot (robot-config name) whose checkpoint to export.")
    var robot: String

    @Option(name: .long, help: "live (the policy driving the robot now) or good (the last one marked good).")
    var which: ExportCheckpointArgs.Which = .live

    @Option(name: .long, help: "The folder to write into (created if missing).")
    var out: String

    func run() throws {
        let request = Request(operation: .exportCheckpoint, args: .exportCheckpoint(ExportCheckpointArgs(robot: robot, which: which)))
        let result = try TTACtl.run { try connection.client().call(request, as: ExportCheckpointResult.self) }
        guard let data = Data(base64Encoded: result.fileBase64) else {
            warn("the daemon's reply holds no readable base64 file (file_base64)")
            throw Exit.daemonError
        }
        let card = result.card
        let written: [String]
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let stem = (out as NSString).appendingPathComponent(card.checkpoint)
            let encoder = WireCoding.encoder
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            let files: [(String, [UInt8])] = [
                (stem + ".safetensors", [UInt8](data)),
                (stem + ".card.json", [UInt8](try encoder.encode(card)) + [0x0a]),
                (stem + ".card.md", Array(ModelCardText.markdown(card).utf8)),
            ]
            // The checkpoint first: a card never names a file that is not there.
            for (path, bytes) in files { try DurableFile.replace(path, with: bytes) }
            try DurableFile.syncFolder(out)
            written = files.map(\.0)
        } catch {
            warn("\(error)")
            throw Exit.cannotCreate
        }
        if connection.json { printJSON(card); return }
        print("exported \(robot)'s \(which.rawValue) checkpoint \(card.checkpoint) (robot-config \(card.robotConfig), step \(card.step)):")
        for path in written { print("  \(path)") }
    }
}

extension ExportCheckpointArgs.Which: ExpressibleByArgument {}
