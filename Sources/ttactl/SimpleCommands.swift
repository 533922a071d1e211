import ArgumentParser
import Foundation
import Wire

/// Sends an operation without arguments and prints the acknowledgement.
func acknowledge(_ operation: Wire.Operation, _ connection: Connection) throws {
    let ack = try TTACtl.run { try connection.client().call(Request(operation: operation), as: AckResult.self) }
    if connection.json { printJSON(ack) } else { print(ack.message) }
}

/// `ttactl pause`.
struct Pause: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop making updates (attempts still run).")
    @OptionGroup var connection: Connection
    func run() throws { try acknowledge(.pause, connection) }
}

/// `ttactl resume`.
struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Make updates again; also clears a latched e-stop and a degraded state.")
    @OptionGroup var connection: Connection
    func run() throws { try acknowledge(.resume, connection) }
}

/// `ttactl estop`.
struct EStop: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "estop", abstract: "Abort the running attempt now, stop the robot, refuse tasks until resume.")
    @OptionGroup var connection: Connection
    func run() throws { try acknowledge(.estop, connection) }
}

/// `ttactl reload`.
struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Re-read the robot-configs (as SIGHUP does).")
    @OptionGroup var connection: Connection
    func run() throws { try acknowledge(.reload, connection) }
}
