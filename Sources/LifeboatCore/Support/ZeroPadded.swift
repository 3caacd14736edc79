extension Int64 {
    /// The number in decimal with leading zeros up to `width` digits (`7` at 3 is `007`); a wider
    /// number as it is. For the fixed-width fields of times and durations.
    public func zeroPadded(_ width: Int) -> String {
        let digits = String(self)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
