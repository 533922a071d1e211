import Foundation
import Testing
@testable import Checkpoints

/// A header is input (a client's `import` or `add_demonstrations`, a file on disk): a tensor shape
/// whose size overflows an Int is refused by name, never trapped on.
struct OverflowingShapeTests {
    /// A safetensors file whose one tensor claims `shape`, with 8 bytes of data.
    static func file(shape: [Int]) -> [UInt8] {
        let shapeText = shape.map(String.init).joined(separator: ",")
        let header = Array("{\"__metadata__\":{},\"observations\":{\"dtype\":\"F32\",\"shape\":[\(shapeText)],\"data_offsets\":[0,8]}}".utf8)
        var bytes = (0..<8).map { UInt8((UInt64(header.count) >> (8 * UInt64($0))) & 0xff) }
        bytes += header + [UInt8](repeating: 0, count: 8)
        return bytes
    }

    static let overflowing = [Int.max / 2, 3]

    @Test func theByteCountOfAnOverflowingOrNegativeShapeIsNil() {
        #expect(SafeTensorsFile.byteCount(shape: [2, 3]) == 24)
        #expect(SafeTensorsFile.byteCount(shape: []) == 4)
        #expect(SafeTensorsFile.byteCount(shape: Self.overflowing) == nil)
        #expect(SafeTensorsFile.byteCount(shape: [2, -1]) == nil)
    }

    @Test func aCheckpointHeaderWithAnOverflowingShapeIsDamagedNotACrash() {
        #expect(throws: (any Error).self) { try SafeTensorsFile.decode(bytes: Self.file(shape: Self.overflowing), path: "x.safetensors") }
        do {
            _ = try SafeTensorsFile.decode(bytes: Self.file(shape: Self.overflowing), path: "x.safetensors")
        } catch {
            #expect("\(error)".contains("observations"), "names the tensor: \(error)")
        }
    }

    @Test func aDemonstrationHeaderWithAnOverflowingShapeIsRefusedNamingTheTensor() {
        do {
            _ = try DemonstrationFile.decode(Self.file(shape: Self.overflowing), stored: false, fallback: ("r", "t", "f"))
            Issue.record("an overflowing shape was accepted")
        } catch {
            #expect(error.field == "observations", "\(error)")
        }
    }
}
