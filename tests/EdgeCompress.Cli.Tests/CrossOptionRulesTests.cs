using EdgeCompress.Cli.Tests.Support;

namespace EdgeCompress.Cli.Tests;

/// <summary>Options that contradict each other are refused at parse time, before the model is read (the model path
/// here does not exist): one line, exit 2, nothing written.</summary>
public sealed class CrossOptionRulesTests
{
    [Theory]
    [InlineData("edgec: --global and --uniform exclude each other", "prune", "/nonexistent/m.onnx", "--channels", "0.5", "--global", "--uniform", "--out", "/nonexistent/p.onnx")]
    [InlineData("edgec: --sparsity needs --unstructured (it zeroes single weights; use --channels for structured pruning)", "prune", "/nonexistent/m.onnx", "--sparsity", "0.5", "--out", "/nonexistent/p.onnx")]
    [InlineData("edgec: --sweep needs --eval SPEC (the data the curve is measured on)", "prune", "/nonexistent/m.onnx", "--sweep", "0.1:0.5:0.1")]
    [InlineData("edgec: --per-channel and --per-tensor exclude each other", "quantize", "/nonexistent/m.onnx", "--out", "/nonexistent/q.onnx", "--per-channel", "--per-tensor")]
    [InlineData("edgec: give either --iterations or --duration, not both", "bench", "/nonexistent/m.onnx", "-n", "5", "--duration", "2")]
    [InlineData("edgec: give exactly one of --student S.onnx or --arch NAME", "distill", "--teacher", "/nonexistent/t.onnx", "--data", "synthetic:4", "--out", "/nonexistent/d.onnx")]
    public async Task Contradicting_options_are_one_parse_error_before_any_file_is_read(string expected, params string[] args)
    {
        var r = await CliRunner.RunAsync(args);

        Assert.Equal(2, r.ExitCode);
        Assert.Equal(expected, Assert.Single(r.StderrLines));
        Assert.Equal("", r.Stdout);
    }
}
