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
            Refused (exit 1, nothing changes) while the robot runs a task.
            """)

    @OptionGroup var connection: Connection

    @Option(name: .long, help: "The robot (robot-config name) the policy is for.")
    var robot: String

    @Argument(help: "The checkpoint file (safetensors, docs/checkpoint-format.md).")
    var file: String

    func validate() throws {
        guard FileManager.default.isReadableFile(atPath: file) else { throw ValidationError("\(file): no readable file") }
    }

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            warn("cannot read \(file)")
            throw Exit.usage
        }
        let bytes = [UInt8](data)
        guard bytes.count <= WireVersion.maxAttachmentBytes else {
            warn("\(file) is \(bytes.count) bytes; import takes at most \(WireVersion.maxAttachmentBytes)")
            throw Exit.usage
        }
        let environment = ProcessInfo.processInfo.environment
        let user = environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? NSUserName()
        let args = ImportArgs(robot: robot, fileName: (file as NSString).lastPathComponent,
                              by: "\(user)@\(ProcessInfo.processInfo.hostName)")
        let request = Request(operation: .import, args: .import(args), attachment: bytes)
        let result = try TTACtl.run { try connection.client().call(request, as: ImportResult.self) }
        if connection.json { printJSON(result) } else { print(result.message) }
    }
}
