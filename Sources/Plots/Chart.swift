// What a chart shows, as plain values: panels stacked over one shared x axis, each with its y
// axis and its series, and a legend. `Chart+SVG.swift` draws it.
//
// The model knows nothing of runs or databases: a series is a name, a role and points. Not
// handled: several y axes in one panel, bar or area charts.

/// A colour as an SVG/CSS hex string.
public struct Color: Sendable, Equatable, CustomStringConvertible {
    public let hex: String
    public init(hex: String) { self.hex = hex }
    public var description: String { hex }

    /// Okabe and Ito's colour-blind-safe palette (without its yellow, too pale on white), then
    /// four of Tableau's. Run i gets colour i modulo their count.
    public static let runs: [Color] = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#4D4D4D",
                                       "#8C564B", "#7F7F00", "#9467BD", "#17BECF"].map { Color(hex: $0) }
    public static let ink = Color(hex: "#222222")
    public static let muted = Color(hex: "#666666")
    public static let grid = Color(hex: "#E3E3E3")
    public static let clip = Color(hex: "#C0392B")

    public static func run(_ index: Int) -> Color { runs[index % runs.count] }
}

/// How a series is drawn, and whether it sets its panel's y range.
public enum SeriesRole: String, Sendable, Equatable, CaseIterable {
    /// Every measured value as a faint thin line (training loss per step). It does not widen the
    /// y range when the panel has other series, so one early spike cannot flatten the curves.
    case raw
    /// A smoothed line (the moving average of a raw series).
    case smoothed
    /// Values measured now and then (validation loss): points joined by a dashed line.
    case measured
    /// A plain line (the learning rate).
    case line
    /// Points alone.
    case markers
    /// Short ticks along the bottom edge at each point's x, whatever its y (the steps whose
    /// gradient was clipped): where events happen, without hiding the curves.
    case rug
}

public struct Series: Sendable, Equatable {
    /// The legend name shared by a run's series (the run's name).
    public var name: String
    /// What is plotted (a metric name), for tooltips and for tests.
    public var metric: String
    public var role: SeriesRole
    public var color: Color
    public var points: [ChartPoint]

    public init(name: String, metric: String, role: SeriesRole, color: Color, points: [ChartPoint]) {
        self.name = name
        self.metric = metric
        self.role = role
        self.color = color
        self.points = points
    }
}

/// A labelled line: horizontal in a panel (the gradient clip norm), vertical across the chart
/// (`Chart.xGuides`).
public struct Guide: Sendable, Equatable {
    public var value: Double
    public var label: String
    public var color: Color

    public init(value: Double, label: String, color: Color = .clip) {
        self.value = value
        self.label = label
        self.color = color
    }
}

public struct Panel: Sendable, Equatable {
    /// A short identifier, unique in its chart ("loss", "lr").
    public var id: String
    /// The heading over the panel, with the unit ("loss (nats per token)").
    public var title: String
    public var scale: ScaleKind
    /// Height of the plotting area in pixels.
    public var height: Double
    public var series: [Series]
    public var guides: [Guide]
    /// Start a linear y axis at zero (a learning rate, a rate of tokens).
    public var includesZero: Bool

    public init(id: String, title: String, scale: ScaleKind = .linear, height: Double = 340, series: [Series] = [],
                guides: [Guide] = [], includesZero: Bool = false) {
        self.id = id
        self.title = title
        self.scale = scale
        self.height = height
        self.series = series
        self.guides = guides
        self.includesZero = includesZero
    }
}

/// A legend line: a run's colour and name, or the key to a role's line style.
public struct LegendEntry: Sendable, Equatable {
    public var label: String
    public var color: Color
    public var role: SeriesRole

    public init(label: String, color: Color, role: SeriesRole) {
        self.label = label
        self.color = color
        self.role = role
    }
}

public struct Chart: Sendable, Equatable {
    /// Prefixes the ids inside the SVG, so several charts can share one HTML page.
    public var identifier: String
    public var title: String?
    public var xLabel: String
    public var xStyle: TickStyle
    /// A log x axis spreads values that span decades (a learning rate from 1e-7 to 10).
    public var xScale: ScaleKind
    /// Labelled vertical lines across every panel (suggested learning rates).
    public var xGuides: [Guide]
    /// Width of the whole image in pixels.
    public var width: Double
    public var panels: [Panel]
    public var legend: [LegendEntry]

    public init(identifier: String = "chart", title: String? = nil, xLabel: String, xStyle: TickStyle = .number,
                xScale: ScaleKind = .linear, xGuides: [Guide] = [], width: Double = 960, panels: [Panel],
                legend: [LegendEntry] = []) {
        self.identifier = identifier
        self.title = title
        self.xLabel = xLabel
        self.xStyle = xStyle
        self.xScale = xScale
        self.xGuides = xGuides
        self.width = width
        self.panels = panels
        self.legend = legend
    }
}
