import ArgumentParser

struct PolicyBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "policy", abstract: "Not written yet.")
    func run() throws { throw ValidationError("the policy benchmark is not written yet") }
}
