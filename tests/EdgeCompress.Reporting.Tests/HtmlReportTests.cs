using System.Text.RegularExpressions;

namespace EdgeCompress.Reporting.Tests;

public partial class HtmlReportTests
{
    [GeneratedRegex("<figure id=\"([a-z-]+)\"><img alt=\"[^\"]*\" src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"")]
    private static partial Regex EmbeddedImage();

    [Fact]
    public void The_report_embeds_every_plot_as_a_real_png_and_needs_no_other_file()
    {
        var html = HtmlReport.Render(SampleManifests.ThreeVariants());
        var images = EmbeddedImage().Matches(html).ToDictionary(m => m.Groups[1].Value, m => Convert.FromBase64String(m.Groups[2].Value));
        Assert.Equal(new[] { "accuracy-vs-latency", "accuracy-vs-size", "energy", "latency-distribution", "sensitivity" }, images.Keys.Order());
        foreach (var png in images.Values)
        {
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
            Assert.True(png.Length > 5_000, "a plot with axes, points and labels is more than a blank image");
        }
        Assert.DoesNotContain("src=\"http", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_variants_table_marks_the_chosen_variant_and_gives_speed_up_and_accuracy_delta()
    {
        var html = HtmlReport.Render(SampleManifests.ThreeVariants());
        var chosenRow = Regex.Match(html, "<tr class=\"chosen\">(.*?)</tr>").Groups[1].Value;
        Assert.Contains(">int8-static<", chosenRow, StringComparison.Ordinal);
        Assert.Contains("<td>1.82x</td>", chosenRow, StringComparison.Ordinal);
        Assert.Contains("<td>-0.20</td>", chosenRow, StringComparison.Ordinal);
        Assert.Contains("measured (local)", chosenRow, StringComparison.Ordinal);
    }

    [Fact]
    public void The_variants_table_names_each_variants_worst_output_and_the_quality_guards_verdict()
    {
        var html = HtmlReport.Render(SampleManifests.Unlabelled());
        var table = Regex.Match(html, "<table id=\"variants\">(.*?)</table>").Groups[1].Value;
        string Row(string id) => Regex.Match(table, $"<tr[^>]*><td class=\"l\">{Regex.Escape(id)}</td>(.*?)</tr>").Groups[1].Value;

        Assert.Contains("<th class=\"l\">worst output (by decision agreement)</th><th class=\"l\">quality guard</th>", table, StringComparison.Ordinal);
        Assert.Contains("<td class=\"l\">reference</td>", Row("baseline"), StringComparison.Ordinal);
        Assert.Contains("<td class=\"l\">scores: score: max |diff| 0.0009, mean |diff| 0.0002, decisions agree 99.2% (threshold 0.5), cosine 0.99910</td><td class=\"l\">passes</td>",
            Row("int8-static"), StringComparison.Ordinal);
        Assert.Contains("<td class=\"l\">fails: &#39;scores&#39; decisions agree on 96.5% of samples (at least 99.0% needed)</td>", Row("prune-0.7"), StringComparison.Ordinal);
    }

    [Fact]
    public void Candidates_that_failed_or_were_dropped_are_listed_with_their_reasons()
    {
        var m = SampleManifests.ThreeVariants();
        m.Skipped.Add(new EdgeCompress.Manifest.ManifestSkip { Id = "prune-0.3", Reason = "failed: fine-tune failed: training diverged <at step 3>" });
        var html = HtmlReport.Render(m);
        var table = Regex.Match(html, "<h2>Candidates not kept</h2><table id=\"not-kept\">(.*?)</table>").Groups[1].Value;
        Assert.Contains("<td class=\"l\">prune-0.3</td><td class=\"l\">failed: fine-tune failed: training diverged &lt;at step 3&gt;</td>", table, StringComparison.Ordinal);
        Assert.DoesNotContain("Candidates not kept", HtmlReport.Render(SampleManifests.ThreeVariants()), StringComparison.Ordinal);
    }

    [Fact]
    public void Charts_without_data_say_so_instead_of_showing_an_empty_plot()
    {
        var m = SampleManifests.ThreeVariants();
        foreach (var v in m.Variants)
        {
            v.EnergyPerInferenceMillijoules = null;
        }
        var html = HtmlReport.Render(m);
        Assert.Contains("Energy per inference: no data recorded for this chart.", html, StringComparison.Ordinal);
    }

    [Fact]
    public void An_energy_chart_without_data_says_why_the_benchmarks_got_no_power_readings()
    {
        var m = SampleManifests.ThreeVariants();
        foreach (var v in m.Variants)
        {
            v.EnergyPerInferenceMillijoules = null;
            v.Notes.Add(HtmlReport.EnergyNotMeasuredNote + "rapl: /sys/class/powercap/intel-rapl:0 does not exist");
        }

        var html = HtmlReport.Render(m);

        Assert.Contains("Energy per inference: no data recorded for this chart (the benchmark asked for power, but rapl: /sys/class/powercap/intel-rapl:0 does not exist).",
            html, StringComparison.Ordinal);
    }
}
