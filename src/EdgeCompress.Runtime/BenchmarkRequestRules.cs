using EdgeCompress.Protocol;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCompress.Runtime;

/// <summary>Checks a benchmark request before it is queued, so a bad field is a 400 naming it, not a failed job later.</summary>
public static class BenchmarkRequestRules
{
    /// <summary>Measured inferences when neither iterations nor a duration is given (TFLite benchmark_model's default).</summary>
    public const int DefaultIterations = 50;

    /// <summary>Most measured inferences one job may ask for.</summary>
    public const int MaxIterations = 1_000_000;

    /// <summary>Longest measured duration, seconds.</summary>
    public const double MaxDurationSeconds = 3600;

    private static readonly string[] OptimizationLevels = ["disabled", "basic", "extended", "all"];

    /// <summary>Fills defaults in place and returns the first problem, or null when the request is good.</summary>
    public static string? Normalize(BenchmarkRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Model))
        {
            return "model is required";
        }

        if (request.Threads is < 0 or > 256)
        {
            return $"threads must be 0 (let ONNX Runtime choose) to 256, got {request.Threads}";
        }

        if (request.InterOpThreads is < 0 or > 256)
        {
            return $"interOpThreads must be 0 to 256, got {request.InterOpThreads}";
        }

        if (request.Warmup is < 0 or > 100_000)
        {
            return $"warmup must be 0 to 100000, got {request.Warmup}";
        }

        if (request.InputSet is { } set && !ApiContract.IsSha256(set))
        {
            return $"inputSet must be the 64 lower-case hex digits of an uploaded input set's SHA-256, got '{set}'";
        }

        if (request.InputSet is not null && request.InputShapes is { Count: > 0 })
        {
            return "give either inputSet (the shapes come from its tensors) or inputShapes, not both";
        }

        if (request.Iterations is not null && request.DurationSeconds is not null)
        {
            return "give either iterations or durationSeconds, not both";
        }

        if (request.Iterations is { } iterations && iterations is < 1 or > MaxIterations)
        {
            return $"iterations must be 1 to {MaxIterations}, got {iterations}";
        }

        if (request.DurationSeconds is { } seconds && (double.IsNaN(seconds) || seconds <= 0 || seconds > MaxDurationSeconds))
        {
            return $"durationSeconds must be above 0 and at most {MaxDurationSeconds}, got {seconds}";
        }

        if (double.IsNaN(request.IdleSeconds) || request.IdleSeconds is < 0 or > 60)
        {
            return $"idleSeconds must be 0 to 60, got {request.IdleSeconds}";
        }

        request.ExecutionProvider = (request.ExecutionProvider ?? "cpu").ToLowerInvariant();
        if (request.ExecutionProvider != "cpu")
        {
            return $"executionProvider '{request.ExecutionProvider}' is not supported here; available: cpu";
        }

        request.GraphOptimization = (request.GraphOptimization ?? "all").ToLowerInvariant();
        if (!OptimizationLevels.Contains(request.GraphOptimization))
        {
            return $"graphOptimization must be one of {string.Join(", ", OptimizationLevels)}, got '{request.GraphOptimization}'";
        }

        if (request.Iterations is null && request.DurationSeconds is null)
        {
            request.Iterations = DefaultIterations;
        }

        return null;
    }

    /// <summary>Maps the request's optimisation name to ONNX Runtime's level.</summary>
    public static GraphOptimizationLevel OptimizationLevel(string name) => name switch
    {
        "disabled" => GraphOptimizationLevel.ORT_DISABLE_ALL,
        "basic" => GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended" => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
    };
}
