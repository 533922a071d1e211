/// Arguments of `remove_demonstrations`: the set's id (as `demos` lists it).
public struct DemonstrationRef: Codable, Sendable, Equatable {
    public var id: String

    public init(id: String) { self.id = id }
}
