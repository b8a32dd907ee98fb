using System.Text.Json;
using EdgeCompress.Cli.Tests.Support;
using EdgeCompress.Onnx;

namespace EdgeCompress.Cli.Tests;

public sealed class InspectCommandTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string StemModel(object batch, string name = "stem.onnx", OnnxSaveOptions? options = null)
    {
        var m = new ModelBuilder().Input("image", batch, 3, 224, 224).Weight("w", 64, 3, 7, 7).Weight("b", 64)
            .Node("Conv", ["image", "w", "b"], ["features"], ("strides", new long[] { 2, 2 }), ("pads", new long[] { 3, 3, 3, 3 }))
            .Node("Relu", ["features"], ["act"])
            .Node("MaxPool", ["act"], ["pooled"], ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 }))
            .OutputNoShape("pooled").Build();
        var path = _temp.PathOf(name);
        m.Save(path, options);
        return path;
    }

    private const long ConvMacs = 64L * 112 * 112 * 3 * 49;
    private const long PoolMacs = 64L * 56 * 56 * 9;

    [Fact]
    public async Task Inspect_prints_shapes_parameters_and_the_hand_computed_MACs()
    {
        var r = await CliRunner.RunAsync("inspect", StemModel(1L));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Stderr);
        Assert.Contains("ai.onnx 17", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("1x64x56x56", r.Stdout, StringComparison.Ordinal);
        Assert.Contains((ConvMacs).ToString("N0", System.Globalization.CultureInfo.InvariantCulture), r.Stdout, StringComparison.Ordinal);
        Assert.Contains($"MACs total  {(ConvMacs + PoolMacs).ToString("N0", System.Globalization.CultureInfo.InvariantCulture)}", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("9,472", r.Stdout, StringComparison.Ordinal); // 64*3*49 + 64 parameters
        Assert.Contains("validation  no findings", r.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_output_is_one_document_with_the_same_figures()
    {
        var r = await CliRunner.RunAsync("inspect", StemModel(1L), "--json");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        Assert.Equal(ConvMacs + PoolMacs, root.GetProperty("macs").GetProperty("total").GetInt64());
        Assert.Equal(ConvMacs, root.GetProperty("macs").GetProperty("perNode")[0].GetProperty("macs").GetInt64());
        Assert.Equal(9472, root.GetProperty("parameters").GetProperty("count").GetInt64());
        Assert.Equal(9472 * 4, root.GetProperty("parameters").GetProperty("bytes").GetInt64());
        Assert.Equal("1x64x56x56", root.GetProperty("outputs")[0].GetProperty("usedShape").GetString());
        Assert.Equal(17, root.GetProperty("opsets")[0].GetProperty("version").GetInt64());
        Assert.Equal(0, root.GetProperty("findings").GetArrayLength());
        Assert.Equal(new FileInfo(_temp.PathOf("stem.onnx")).Length, root.GetProperty("fileBytes").GetInt64());
    }

    [Fact]
    public async Task A_dynamic_batch_is_taken_as_1_unless_an_input_shape_is_given()
    {
        var path = StemModel("N");
        var r = await CliRunner.RunAsync("inspect", path, "--json");
        using (var doc = JsonDocument.Parse(r.Stdout))
        {
            Assert.Equal(ConvMacs + PoolMacs, doc.RootElement.GetProperty("macs").GetProperty("total").GetInt64());
            Assert.Equal("Nx3x224x224", doc.RootElement.GetProperty("inputs")[0].GetProperty("declaredShape").GetString());
            Assert.Contains("dynamic", doc.RootElement.GetProperty("shapeNotes")[0].GetString(), StringComparison.Ordinal);
        }
        r = await CliRunner.RunAsync("inspect", path, "--json", "--input-shape", "image=8x3x224x224");
        using (var doc = JsonDocument.Parse(r.Stdout))
        {
            Assert.Equal(8 * (ConvMacs + PoolMacs), doc.RootElement.GetProperty("macs").GetProperty("total").GetInt64());
            Assert.Equal("8x64x56x56", doc.RootElement.GetProperty("outputs")[0].GetProperty("usedShape").GetString());
            Assert.Equal(0, doc.RootElement.GetProperty("shapeNotes").GetArrayLength());
        }
    }

    [Fact]
    public async Task A_model_with_external_data_reports_both_files()
    {
        var path = StemModel(1L, "split.onnx", new OnnxSaveOptions { ExternalDataThresholdBytes = 1024 });
        var r = await CliRunner.RunAsync("inspect", path, "--json");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal("split.onnx.data", doc.RootElement.GetProperty("externalDataFiles")[0].GetString());
        Assert.Equal(new FileInfo(path + ".data").Length, doc.RootElement.GetProperty("externalDataBytes").GetInt64());
        Assert.Equal(ConvMacs + PoolMacs, doc.RootElement.GetProperty("macs").GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task A_structurally_broken_model_is_still_inspected_and_its_findings_name_the_node()
    {
        var m = new ModelBuilder().Input("x", 1, 3, 8, 8).Node("Conv", ["x", "w"], ["y"]).Output("y").Build();
        var path = _temp.PathOf("broken.onnx");
        m.Save(path);
        var r = await CliRunner.RunAsync("inspect", path);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("error: node 'y_node': Conv weight input 1 'w' has no initializer", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_real_process_respects_NO_COLOR_and_prints_no_escape_codes()
    {
        var r = await EdgecProcess.RunAsync(["inspect", StemModel(1L)]);
        Assert.Equal(0, r.ExitCode);
        Assert.DoesNotContain("\u001b[", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("MACs total", r.Stdout, StringComparison.Ordinal);
    }
}
