import Foundation

/// Where a test finds the repository's files and the built products, from any test target.
///
/// Files are found from this source file (`#filePath`), not from a bundle: the tests run from a
/// checkout. Built products are found next to the running test bundle, as `swift build` lays them
/// out (`.build/<triple>/debug/ttad` beside `ttadPackageTests.xctest`).
public enum Repository {
    /// The repository's root folder (this file is `Sources/TTADTesting/Repository.swift`).
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The repository's `robot-configs` folder.
    public static var robotConfigs: String { root + "/robot-configs" }

    /// The path of the repository's robot-config `name` (e.g. `reacher2`).
    public static func robotConfig(_ name: String) -> String { robotConfigs + "/\(name).yaml" }

    /// The built executable `name`: the path in `environmentVariable` if that is set, else the first
    /// executable of that name in the test bundle's folder or up to five folders above it; nil if none.
    public static func builtProduct(_ name: String, environmentVariable: String? = nil) -> String? {
        if let variable = environmentVariable, let path = ProcessInfo.processInfo.environment[variable] { return path }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir.deleteLastPathComponent()
        }
        return nil
    }
}
