using Xunit.Abstractions;

namespace EdgeCompress.Onnx.Tests.Conformance;

/// <summary>Runs the conformance pass once for all assertions in this class.</summary>
public sealed class ConformanceFixture
{
    public ConformanceRun Run { get; } = ConformanceRun.Execute();
}

public class ConformanceTests(ConformanceFixture fixture, ITestOutputHelper output) : IClassFixture<ConformanceFixture>
{
    private readonly ConformanceRun _run = fixture.Run;

    private void Report()
    {
        var summary =
            $"models {_run.Models}, loaded {_run.Loaded}, round-tripped {_run.RoundTripped}, ORT-runnable {_run.Runnable} " +
            $"(random-output {_run.RandomOutputs}), matched {_run.Matched}, ORT deviates from the reference {_run.OrtDeviations}, inferred output shapes checked against ORT {_run.ShapesChecked}, " +
            $"agreed {_run.ShapesAgreed}, external-data copies run {_run.ExternalAgreed}/{_run.ExternalChecked}, node outputs with fully known shapes {_run.NodeOutputsFullyKnown}/{_run.NodeOutputs}, validation errors {_run.ValidationErrors.Count}, {_run.Elapsed.TotalSeconds:F1} s";
        output.WriteLine(summary);
        // Also left beside the test assembly, so the counts are readable after a quiet CI run.
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "onnx-conformance.txt"), summary + Environment.NewLine);
        foreach (var line in _run.Failures.Concat(_run.Mismatches).Concat(_run.ExternalProblems).Concat(_run.OrtDeviationModels.Select(m => "ORT deviation (original model too): " + m)).Concat(_run.ShapeDisagreements).Concat(_run.ValidationErrors).Take(60))
        {
            output.WriteLine(line);
        }
    }

    [Fact]
    public void Every_backend_test_model_loads_and_saves_back_byte_for_byte_equal()
    {
        Report();
        Assert.True(_run.Models >= 1000, $"only {_run.Models} test models found under {TestModels.Root}");
        Assert.Equal(_run.Models, _run.Loaded);
        Assert.Equal(_run.Loaded, _run.RoundTripped);
        Assert.Empty(_run.Failures);
    }

    [Fact]
    public void Every_model_onnx_runtime_can_run_reproduces_the_stored_outputs_after_a_save()
    {
        Report();
        Assert.True(_run.Runnable >= 900, $"only {_run.Runnable} models ran in ONNX Runtime");
        // Where ORT itself disagrees with the reference outputs, the untouched original gives the same numbers.
        Assert.Empty(_run.Mismatches);
        Assert.Equal(_run.Runnable - _run.RandomOutputs - _run.OrtDeviations, _run.Matched);
        Assert.True(_run.OrtDeviations <= 15, $"{_run.OrtDeviations} models where ORT deviates from the reference");
        Assert.True(_run.Matched >= 950, $"only {_run.Matched} models matched their stored outputs");
    }

    [Fact]
    public void Every_matched_model_with_weights_also_runs_from_an_external_data_copy()
    {
        Report();
        Assert.True(_run.ExternalChecked >= 30, $"only {_run.ExternalChecked} models had tensors to move out");
        Assert.Empty(_run.ExternalProblems);
        Assert.Equal(_run.ExternalChecked, _run.ExternalAgreed);
    }

    [Fact]
    public void Inferred_output_shapes_agree_with_the_shapes_onnx_runtime_produces()
    {
        Report();
        Assert.True(_run.ShapesChecked >= 800, $"only {_run.ShapesChecked} output shapes were fully inferred");
        Assert.Empty(_run.ShapeDisagreements);
    }

    [Fact]
    public void Shape_inference_resolves_at_least_93_percent_of_all_node_outputs()
    {
        Report();
        // The rest are sequences/optionals and values computed from runtime inputs (e.g. a window size).
        Assert.True(_run.NodeOutputsFullyKnown >= 0.93 * _run.NodeOutputs, $"{_run.NodeOutputsFullyKnown}/{_run.NodeOutputs} node outputs fully known");
    }

    [Fact]
    public void No_backend_test_model_has_a_validation_error()
    {
        Report();
        Assert.Empty(_run.ValidationErrors);
    }
}
