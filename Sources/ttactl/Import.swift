import ArgumentParser
import Foundation
import Wire

/// `ttactl import --robot R FILE`.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Put a checkpoint file on a robot: verified, stored, live and good at once.",
        discussion: """
            The daemon checks the file (both checksums, every tensor, the observation normaliser) and \
            its architecture against the robot-config, and refuses a mismatch naming the key or tensor. \
            The import is recorded with the file's name, SHA-256 and who sent it ($USER@hostname). \
            A model card beside the file (<name>.card.json, as `ttactl export-checkpoint` writes it) \
            is sent too: the daemon checks it describes the file and records its source robot. \
            Refused (exit 1, nothing changes) while the robot runs a task.
            """)

    @OptionGroup var connection: Connection

    @Option(name: .long, help: "The robot (robot-config name) the policy is for.")
    var robot: String

    @Argument(help: "The checkpoint file (safetensors, docs/checkpoint-format.md).")
    var file: String

    @Option(name: .long, help: "The model card to send (default: FILE's <name>.card.json when it exists).")
    var card: String?

    @Flag(name: .long, help: "Send no model card, even when one lies beside the file.")
    var noCard = false

    /// The card file to send, if any: `--card`, else the one beside the file.
    var cardPath: String? {
        if noCard { return nil }
        if let card { return card }
        let stem = file.hasSuffix(".safetensors") ? String(file.dropLast(".safetensors".count)) : file
        return FileManager.default.fileExists(atPath: stem + ".card.json") ? stem + ".card.json" : nil
    }

    func validate() throws {
        guard FileManager.default.isReadableFile(atPath: file) else { throw ValidationError("\(file): no readable file") }
        if noCard, card != nil { throw ValidationError("--card and --no-card contradict each other") }
        if let card, !FileManager.default.isReadableFile(atPath: card) { throw ValidationError("--card \(card): no readable file") }
    }

    func run() throws {
        let bytes = try AttachmentFile.read(file, for: "import")
        let environment = ProcessInfo.processInfo.environment
        let user = environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? NSUserName()
        var modelCard: ModelCard?
        if let path = cardPath {
            do { modelCard = try WireCoding.decoder.decode(ModelCard.self, from: try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
                warn("\(path) is not a model card (docs/checkpoint-format.md): \(error)")
                throw Exit.usage
            }
        }
        let args = ImportArgs(robot: robot, fileName: (file as NSString).lastPathComponent,
                              by: "\(user)@\(ProcessInfo.processInfo.hostName)", card: modelCard)
        let request = Request(operation: .import, args: .import(args), attachment: bytes)
        let result = try TTACtl.run { try connection.client().call(request, as: ImportResult.self) }
        if connection.json { printJSON(result) } else { print(result.message) }
    }
}
