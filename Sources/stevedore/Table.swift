/// Plain-text tables and durations for terminal output.
enum Table {
    /// Left-aligned columns separated by two spaces; the last column is not padded. Cells
    /// must be single lines (``oneLine(_:)``); leading spaces are kept (tree prefixes).
    static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = (0..<header.count).map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// `text` on one line: newlines and tabs become spaces, runs of spaces collapse.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\t" || $0 == "\r" || $0 == " " }).joined(separator: " ")
    }

    /// `42s`, `3m07s`, `2h05m`, `3d04h`; `-` for nil.
    static func duration(_ seconds: Double?) -> String {
        guard let seconds else { return "-" }
        let s = Int(seconds.rounded())
        switch s {
        case ..<60: return "\(s)s"
        case ..<3600: return "\(s / 60)m\(pad(s % 60))s"
        case ..<86400: return "\(s / 3600)h\(pad(s % 3600 / 60))m"
        default: return "\(s / 86400)d\(pad(s % 86400 / 3600))h"
        }
    }

    private static func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}

extension String {
    fileprivate func padding(toLength length: Int, withPad pad: String, startingAt: Int) -> String {
        count >= length ? self : self + String(repeating: pad, count: length - count)
    }
}
