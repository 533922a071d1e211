import ArgumentParser

struct WireBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wire", abstract: "Not written yet.")
    func run() throws { throw ValidationError("the wire benchmark is not written yet") }
}
