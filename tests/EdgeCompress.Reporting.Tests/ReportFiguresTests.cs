using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace EdgeCompress.Reporting.Tests;

public class ReportFiguresTests
{
    /// <summary>A figure's caption as the reader sees it (entities decoded).</summary>
    private static string FigureCaption(string html, string id) =>
        WebUtility.HtmlDecode(Regex.Match(html, $"<figure id=\"{id}\"><img [^>]*><figcaption>(.*?)</figcaption></figure>").Groups[1].Value);

    private static int PngHeight(byte[] png) => BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4));

    [Fact]
    public void An_unlabelled_search_plots_the_guards_worst_output_agreement_instead_of_saying_no_data()
    {
        var html = HtmlReport.Render(SampleManifests.Unlabelled());

        Assert.DoesNotContain("no data recorded", html, StringComparison.Ordinal);
        foreach (var id in new[] { "accuracy-vs-latency", "accuracy-vs-size" })
        {
            var caption = FigureCaption(html, id);
            Assert.StartsWith("Worst-output decision agreement vs ", caption, StringComparison.Ordinal);
            Assert.Contains("data: synthetic:input=1x3x32x32,n=256", caption, StringComparison.Ordinal);
            Assert.Contains("y: worst-output decision agreement, %", caption, StringComparison.Ordinal);
        }
        Assert.Contains("x: p50 latency, ms (measured, local, 1 thread)", FigureCaption(html, "accuracy-vs-latency"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_search_with_only_dense_outputs_plots_worst_output_sqnr_and_says_why_the_baseline_is_missing()
    {
        var chart = ReportPlots.QualityVsSize(SampleManifests.UnlabelledDense());

        Assert.NotNull(chart);
        Assert.Equal("worst-output SQNR, dB", chart.YAxis);
        Assert.Equal("not plotted, no worst-output SQNR, dB recorded: baseline (an output identical to the baseline's has no SQNR)", chart.Note);
    }

    [Fact]
    public void A_labelled_search_plots_top1_accuracy_and_names_the_data()
    {
        var chart = ReportPlots.QualityVsLatency(SampleManifests.ThreeVariants());

        Assert.NotNull(chart);
        Assert.Equal("top-1 accuracy, %", chart.YAxis);
        Assert.Equal("Accuracy vs latency · data: fashion-mnist:test", chart.Title);
        Assert.Null(chart.Note);
    }

    [Fact]
    public void Sensitivity_of_a_60_layer_study_draws_the_20_most_sensitive_layers_and_summarises_the_other_40()
    {
        var m = SampleManifests.SensitivityStudy(60);

        var chart = SensitivityPlot.Of(m);

        Assert.NotNull(chart);
        // Layer i has sensitivity 0.05 / (i + 1): the 20 drawn are layers 0..19, most sensitive first.
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"/features/features.{i}/Conv"), chart.Categories);
        // The 21st layer's 0.05 / 21 = 0.0023809..., rounded up so "at or below" holds of the printed figure.
        Assert.Equal("+ 40 more layers, all at or below 0.00239", chart.Note);
        Assert.Equal("Most sensitive 20 of 60 layers (int8-static)", chart.Title);
        Assert.Equal("relative output error when only this layer is int8", chart.XAxis);
        Assert.True(PngHeight(chart.Png) >= 20 * 22, "each of the 20 bars gets a row tall enough for its name");
        Assert.Contains("+ 40 more layers, all at or below 0.00239", FigureCaption(HtmlReport.Render(m), "sensitivity"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_short_sensitivity_study_draws_every_layer_without_a_summary()
    {
        var chart = SensitivityPlot.Of(SampleManifests.ThreeVariants());

        Assert.NotNull(chart);
        Assert.Equal(new[] { "conv1", "fc" }, chart.Categories);
        Assert.Null(chart.Note);
    }

    [Fact]
    public void Twelve_variants_get_numbered_latency_labels_and_a_key_naming_each()
    {
        var m = SampleManifests.TwelveVariants();

        var chart = LatencyPlot.Of(m);

        Assert.NotNull(chart);
        Assert.Equal(Enumerable.Range(1, 12).Select(i => i.ToString(CultureInfo.InvariantCulture)), chart.Categories);
        Assert.Equal(12, chart.Key.Count);
        Assert.Equal("1 = baseline", chart.Key[0]);
        Assert.Equal("12 = prune-0.1+int8-static-11", chart.Key[11]);
        Assert.Equal("latency, ms (log scale)", chart.YAxis);
        Assert.Contains("whiskers: 5th–95th percentile of each variant's 100 recorded samples", chart.Note, StringComparison.Ordinal);
        Assert.Contains("key: 1 = baseline · 2 = prune-0.1+int8-static-1", FigureCaption(HtmlReport.Render(m), "latency-distribution"), StringComparison.Ordinal);
    }

    [Fact]
    public void Latencies_spanning_two_hundredfold_go_on_a_log_axis_in_the_trade_off_and_the_points_are_numbered_too()
    {
        var chart = ReportPlots.QualityVsLatency(SampleManifests.TwelveVariants());

        Assert.NotNull(chart);
        Assert.Equal("p50 latency, ms (log scale; measured, local, 1 thread)", chart.XAxis);
        Assert.Equal("6 = prune-0.5+int8-static-5", chart.Key[5]);
    }

    [Fact]
    public void Three_short_variant_ids_are_drawn_as_themselves_without_a_key()
    {
        var chart = LatencyPlot.Of(SampleManifests.ThreeVariants());

        Assert.NotNull(chart);
        Assert.Equal(new[] { "baseline", "int8-static", "prune-0.7" }, chart.Categories);
        Assert.Empty(chart.Key);
    }

    [Theory]
    [InlineData(0.09, 1100, new[] { 0.1, 1, 10, 100, 1000 })]
    [InlineData(0.18, 44, new[] { 0.2, 0.5, 1, 2, 5, 10, 20 })]
    [InlineData(0.45, 0.95, new[] { 0.5, 0.6, 0.7, 0.8, 0.9 })]
    [InlineData(0.515, 0.585, new[] { 0.52, 0.54, 0.56, 0.58 })]
    public void Log_scale_ticks_fall_inside_the_range_at_readable_values(double lo, double hi, double[] expected)
    {
        var ticks = LogScale.Ticks(lo, hi);

        Assert.Equal(expected, ticks.Select(t => Math.Round(t, 6)));
    }
}
