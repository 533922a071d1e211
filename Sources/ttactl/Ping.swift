import ArgumentParser
import Foundation
import Wire

struct Ping: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check that the daemon answers.")
    @OptionGroup var connection: Connection

    func run() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let pong = try TTACtl.run { try connection.client().call(Request(operation: .ping), as: Pong.self) }
        let elapsed = clock.now - start
        if connection.json { printJSON(pong) } else {
            print("pong from ttad \(pong.version) (pid \(pong.pid)) in \(elapsed.formatted(.units(allowed: [.milliseconds, .microseconds], width: .narrow)))")
        }
    }
}
