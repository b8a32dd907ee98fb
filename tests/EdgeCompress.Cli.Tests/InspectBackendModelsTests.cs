using System.Text.Json;
using EdgeCompress.Cli.Tests.Support;

namespace EdgeCompress.Cli.Tests;

public class InspectBackendModelsTests
{
    private const string Root = "/usr/share/libonnx-testdata/data";

    [Fact]
    public async Task Inspect_succeeds_on_every_backend_test_model_including_subgraphs_and_dynamic_dims()
    {
        var models = new[] { "node", "pytorch-converted", "pytorch-operator", "simple" }
            .Select(s => Path.Combine(Root, s)).Where(Directory.Exists)
            .SelectMany(Directory.EnumerateDirectories)
            .Select(d => Path.Combine(d, "model.onnx")).Where(File.Exists).ToArray();
        Assert.True(models.Length >= 1000, $"only {models.Length} backend test models found");
        var failures = new List<string>();
        var withSubgraphs = 0;
        foreach (var model in models)
        {
            var r = await CliRunner.RunAsync("inspect", model, "--json");
            if (r.ExitCode != 0)
            {
                failures.Add($"{model}: exit {r.ExitCode}: {r.Stderr.Trim()}");
                continue;
            }
            using var doc = JsonDocument.Parse(r.Stdout);
            withSubgraphs += doc.RootElement.GetProperty("subgraphs").GetInt32() > 0 ? 1 : 0;
        }
        Assert.Empty(failures);
        Assert.True(withSubgraphs >= 10, $"only {withSubgraphs} models with If/Loop/Scan subgraphs were inspected");
    }
}
