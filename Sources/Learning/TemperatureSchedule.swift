/// The per-attempt sampling temperatures of a group: T_i = base + range * i / (N - 1).
///
/// With base 0.6 and range 0.3, N = 4 gives 0.6, 0.7, 0.8, 0.9: the group spans cautious to
/// exploratory attempts (the seed method's schedule). N = 1 gives [base].
public enum TemperatureSchedule {
    /// `count` temperatures from `base` to `base + range`, evenly spaced; `[base]` for one, `[]` for none.
    public static func temperatures(count: Int, base: Double, range: Double) -> [Double] {
        guard count > 1 else { return count == 1 ? [base] : [] }
        return (0..<count).map { base + range * Double($0) / Double(count - 1) }
    }
}
