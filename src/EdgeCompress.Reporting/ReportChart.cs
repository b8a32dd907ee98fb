namespace EdgeCompress.Reporting;

/// <summary>
/// One rendered chart and the words that go with it: what each axis measured, the category labels drawn, the legend's
/// key and a note on what the picture leaves out, so the report's caption states what the PNG shows.
/// </summary>
/// <param name="Png">The chart as PNG bytes.</param>
/// <param name="Title">The chart's title, as drawn.</param>
/// <param name="XAxis">The horizontal axis title, as drawn (what was measured, in what unit).</param>
/// <param name="YAxis">The vertical axis title, as drawn.</param>
public sealed record ReportChart(byte[] Png, string Title, string XAxis, string YAxis)
{
    /// <summary>Category tick labels in drawing order (variant keys or layer names); empty on a numeric axis.</summary>
    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>Key of shortened labels, e.g. "3 = prune-0.5+int8"; empty when the labels are the names themselves.</summary>
    public IReadOnlyList<string> Key { get; init; } = [];

    /// <summary>What the reader should know that the axes do not say (what was left out, how whiskers are drawn).</summary>
    public string? Note { get; init; }
}
