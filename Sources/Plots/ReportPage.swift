// A one-page report as a self-contained HTML file: inline CSS and inline SVG charts, no script,
// no font or image from anywhere else, so it opens offline in any browser and can be kept beside
// a run. The markup is also well-formed XML (void elements closed, everything escaped), which is
// how the tests read it.
//
// The page is generic: sections of paragraphs, tables, charts and text samples. Which sections a
// run report has is the caller's choice (`descent report`). Not handled: pagination, dark mode.

/// A table: a header row and rows of text cells.
public struct ReportTable: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var cells: [String]
        /// Marks the row (config keys whose values differ between runs).
        public var isHighlighted: Bool

        public init(_ cells: [String], isHighlighted: Bool = false) {
            self.cells = cells
            self.isHighlighted = isHighlighted
        }
    }

    public var header: [String]
    public var rows: [Row]
    /// Columns of numbers, right-aligned so their digits line up.
    public var numericColumns: Set<Int>
    /// A class for the table element, for tests and styling ("config", "checkpoints").
    public var kind: String

    public init(kind: String, header: [String], rows: [Row], numericColumns: Set<Int> = []) {
        self.kind = kind
        self.header = header
        self.rows = rows
        self.numericColumns = numericColumns
    }
}

/// Text generated at one step of training.
public struct SampleGroup: Sendable, Equatable {
    public var step: Int
    public var texts: [String]

    public init(step: Int, texts: [String]) {
        self.step = step
        self.texts = texts
    }
}

public enum ReportBlock: Sendable, Equatable {
    case paragraph(String)
    /// A smaller heading inside a section (a run's name).
    case subheading(String)
    case table(ReportTable)
    case chart(Chart)
    /// Samples over training, oldest first.
    case samples([SampleGroup])
    /// Grey explanatory text.
    case note(String)
}

public struct ReportSection: Sendable, Equatable {
    /// The fragment id (`#losses`), unique on the page.
    public var id: String
    public var heading: String
    public var blocks: [ReportBlock]

    public init(id: String, heading: String, blocks: [ReportBlock]) {
        self.id = id
        self.heading = heading
        self.blocks = blocks
    }
}

public struct ReportPage: Sendable, Equatable {
    public var title: String
    public var subtitle: String?
    public var sections: [ReportSection]

    public init(title: String, subtitle: String? = nil, sections: [ReportSection]) {
        self.title = title
        self.subtitle = subtitle
        self.sections = sections
    }

    static let style = """
        body { margin: 0; background: #FAFAF8; color: #222; font: 15px/1.45 DejaVu Sans, Verdana, Helvetica, Arial, sans-serif; }
        main { max-width: 1000px; margin: 0 auto; padding: 24px 20px 48px; }
        h1 { font-size: 26px; margin: 8px 0 2px; }
        h2 { font-size: 20px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #DDD; }
        h3 { font-size: 16px; margin: 20px 0 8px; }
        .subtitle, .note { color: #666; }
        nav { margin: 10px 0 0; font-size: 14px; }
        nav a { color: #0059A0; margin-right: 14px; text-decoration: none; }
        table { border-collapse: collapse; margin: 8px 0 12px; background: #FFF; font-size: 14px; }
        th, td { border: 1px solid #DDD; padding: 4px 10px; text-align: left; vertical-align: top; }
        th { background: #F0F0EC; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        tr.differs td { background: #FFF1B8; }
        tr.differs td:first-child { font-weight: bold; }
        .chart { background: #FFF; border: 1px solid #DDD; margin: 8px 0 14px; overflow-x: auto; }
        .chart svg { display: block; max-width: 100%; height: auto; }
        .samples td.step { white-space: nowrap; }
        pre.sample { margin: 0 0 6px; padding: 4px 8px; background: #F4F4F0; border-left: 3px solid #CCC;
                     white-space: pre-wrap; word-break: break-word; font: 13px/1.35 DejaVu Sans Mono, Menlo, Consolas, monospace; }
        pre.sample.short { display: inline-block; margin-right: 6px; }
        """

    /// The page as HTML text.
    public func html() -> String {
        var out = Markup()
        out.raw("<!DOCTYPE html>")
        out.open("html", ["xmlns": "http://www.w3.org/1999/xhtml", "lang": "en"])
        out.open("head")
        out.element("meta", ["charset": "utf-8"])
        out.element("meta", ["name": "viewport", "content": "width=device-width, initial-scale=1"])
        out.element("title", text: title)
        // Raw text: HTML does not decode entities inside <style>, so the sheet avoids & < > and quotes.
        out.open("style")
        out.raw(Self.style)
        out.close("style")
        out.close("head")
        out.open("body")
        out.open("main")
        out.open("header")
        out.element("h1", text: title)
        if let subtitle { out.element("p", ["class": "subtitle"], text: subtitle) }
        if sections.count > 1 {
            out.open("nav")
            for section in sections { out.element("a", ["href": "#\(section.id)"], text: section.heading) }
            out.close("nav")
        }
        out.close("header")
        for section in sections {
            out.open("section", ["id": section.id])
            out.element("h2", text: section.heading)
            for block in section.blocks { render(block, into: &out) }
            out.close("section")
        }
        out.close("main")
        out.close("body")
        out.close("html")
        return out.text
    }

    private func render(_ block: ReportBlock, into out: inout Markup) {
        switch block {
        case .paragraph(let text):
            out.element("p", text: text)
        case .note(let text):
            out.element("p", ["class": "note"], text: text)
        case .subheading(let text):
            out.element("h3", text: text)
        case .chart(let chart):
            out.open("div", ["class": "chart"])
            out.raw(chart.svgElement())
            out.close("div")
        case .table(let table):
            out.open("table", ["class": table.kind])
            out.open("thead")
            out.open("tr")
            for cell in table.header { out.element("th", text: cell) }
            out.close("tr")
            out.close("thead")
            out.open("tbody")
            for row in table.rows {
                if row.isHighlighted { out.open("tr", ["class": "differs"]) } else { out.open("tr") }
                for (column, cell) in row.cells.enumerated() {
                    if table.numericColumns.contains(column) {
                        out.element("td", ["class": "num"], text: cell)
                    } else {
                        out.element("td", text: cell)
                    }
                }
                out.close("tr")
            }
            out.close("tbody")
            out.close("table")
        case .samples(let groups):
            out.open("table", ["class": "samples"])
            out.open("thead")
            out.open("tr")
            out.element("th", text: "step")
            out.element("th", text: "samples")
            out.close("tr")
            out.close("thead")
            out.open("tbody")
            for group in groups {
                out.open("tr")
                out.element("td", ["class": "step num"], text: String(group.step))
                out.open("td")
                for text in group.texts {
                    // Short one-line samples (names) sit side by side; prose gets a block each.
                    let isShort = !text.contains("\n") && text.count <= 40
                    out.element("pre", ["class": isShort ? "sample short" : "sample"], text: text.isEmpty ? "(empty)" : text)
                }
                out.close("td")
                out.close("tr")
            }
            out.close("tbody")
            out.close("table")
        }
    }
}
