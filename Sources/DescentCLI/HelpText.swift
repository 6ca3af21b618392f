// Help text that reads well in an 80-column terminal. ArgumentParser re-wraps every line of a
// discussion that is wider than the screen and starts the overflow at column 0, which shreds
// indented lists; lines pre-wrapped here stay under its width and keep their indentation.

enum HelpText {
    /// The widest line we emit: ArgumentParser's default screen width (80) less a margin.
    static let width = 78

    /// `text` wrapped at spaces to lines of at most `width` columns; every line starts with
    /// `indent`, and lines after the first with `hangingIndent` more. A word longer than a line
    /// stays whole.
    static func wrap(_ text: String, indent: String = "", hangingIndent: String = "") -> String {
        var lines: [String] = []
        var line = indent
        var lineHasWord = false
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if lineHasWord && line.count + 1 + word.count > width {
                lines.append(line)
                line = indent + hangingIndent
                lineHasWord = false
            }
            line += (lineHasWord ? " " : "") + word
            lineHasWord = true
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }

    /// Paragraphs wrapped one by one and separated by blank lines.
    static func paragraphs(_ paragraphs: String...) -> String {
        paragraphs.map { wrap($0) }.joined(separator: "\n\n")
    }
}
