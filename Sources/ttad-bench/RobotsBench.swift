import ArgumentParser

struct RobotsBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "robots", abstract: "Not written yet.")
    func run() throws { throw ValidationError("the robots benchmark is not written yet") }
}
