using System.Globalization;
using EdgeCompress.Daemon.Hosting;
using EdgeCompress.Protocol;
using EdgeCompress.Runtime;
using EdgeCompress.Sensors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeCompress.Daemon.Benchmarks;

/// <summary>
/// Sizes a benchmark's generated inputs (shapes resolved the way the engine resolves them, times each element type's
/// size) against maxInputBytes before the job is queued, and again before it runs. Without it an inputShapes of
/// [1,100000000] ran a 4 GB board out of memory and [1,10000000000] overflowed inside the engine.
/// </summary>
public sealed class InputBudget
{
    /// <summary>Share of MemTotal the inputs may take by default.</summary>
    public const int MemoryDivisor = 16;

    /// <summary>The limit where MemTotal cannot be read.</summary>
    public const long FallbackBytes = 256L * 1024 * 1024;

    private readonly ModelInputs _inputs;

    /// <summary>Settles the limit: the configured value, or a share of the board's memory.</summary>
    public InputBudget(IOptions<EdgedOptions> options, ModelInputs inputs, ILogger<InputBudget> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _inputs = inputs;
        var settings = options.Value;
        var memory = DeviceProbe.TryReadMemoryTotalBytes(new SensorPaths(settings.SensorRoot));
        (MaxBytes, var origin) = (settings.MaxInputBytes, memory) switch
        {
            ({ } configured, _) => (configured, "maxInputBytes"),
            (null, { } total) => (total / MemoryDivisor, $"1/{MemoryDivisor} of MemTotal {total} bytes; maxInputBytes overrides"),
            _ => (FallbackBytes, "MemTotal unreadable; maxInputBytes overrides"),
        };
        Log.InputLimit(logger, MaxBytes, origin);
    }

    /// <summary>Most bytes one benchmark's inputs may take together.</summary>
    public long MaxBytes { get; }

    /// <summary>
    /// The first problem with the inputs <paramref name="request"/> would generate for the stored model, or null.
    /// A model ONNX Runtime cannot load is left to the engine, which fails the job saying so before allocating anything.
    /// </summary>
    public string? Check(BenchmarkRequest request, ModelVersionInfo version, string path)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(version);
        IReadOnlyList<ModelInput> inputs;
        try
        {
            inputs = _inputs.Read(version, path);
        }
        catch (ModelRunException)
        {
            return null;
        }

        var shapes = request.InputShapes;
        if (shapes?.Keys.Where(k => !inputs.Any(i => i.Name == k)).ToArray() is { Length: > 0 } unknown)
        {
            return $"inputShapes names unknown input(s) {string.Join(", ", unknown)}; the model's inputs are {string.Join(", ", inputs.Select(i => i.Name))}";
        }

        var sized = new List<(string Name, long Bytes)>();
        foreach (var input in inputs.Where(i => i.IsTensor))
        {
            if (shapes?.GetValueOrDefault(input.Name) is { } given && Array.FindIndex(given, d => d <= 0) is var bad and >= 0)
            {
                return $"inputShapes.{input.Name}[{bad}] = {given[bad]}: dimensions must be 1 or more";
            }

            long[] shape;
            try
            {
                shape = InputFactory.ResolveShape(input.Name, input.Dimensions, shapes, request.Model);
            }
            catch (BenchmarkException ex)
            {
                return ex.Message;
            }

            var elements = shape.Aggregate(1L, Multiply);
            var described = $"input '{input.Name}' [{string.Join(',', shape)}] {TypeName(input.ElementType)}";
            if (ElementBytes(input.ElementType) is not { } size)
            {
                continue; // strings: the engine refuses to generate them before allocating anything
            }

            var bytes = Multiply(elements, size);
            if (bytes > MaxBytes)
            {
                return $"{described} needs {Count(bytes)} bytes; this device allows {Count(MaxBytes)} per benchmark (maxInputBytes)";
            }

            if (elements > Array.MaxLength)
            {
                return $"{described} has {Count(elements)} elements; one input can hold at most {Count(Array.MaxLength)}";
            }

            sized.Add((input.Name, bytes));
        }

        var total = sized.Aggregate(0L, (sum, s) => sum > long.MaxValue - s.Bytes ? long.MaxValue : sum + s.Bytes);
        return total > MaxBytes
            ? $"inputs need {Count(total)} bytes together ({string.Join(" + ", sized.Select(s => $"'{s.Name}' {Count(s.Bytes)}"))}); this device allows {Count(MaxBytes)} per benchmark (maxInputBytes)"
            : null;
    }

    /// <summary>Bytes per element; null for strings, whose size the shape does not tell.</summary>
    internal static int? ElementBytes(TensorElementType type) => type switch
    {
        TensorElementType.String => null,
        TensorElementType.Double or TensorElementType.Int64 or TensorElementType.UInt64 or TensorElementType.Complex64 => 8,
        TensorElementType.Float or TensorElementType.Int32 or TensorElementType.UInt32 => 4,
        TensorElementType.Float16 or TensorElementType.BFloat16 or TensorElementType.Int16 or TensorElementType.UInt16 => 2,
        TensorElementType.Complex128 => 16,
        _ => 1, // uint8, int8, bool, the float8 kinds; int4 rounds up
    };

    /// <summary>Saturates at long.MaxValue instead of overflowing (both factors are positive).</summary>
    private static long Multiply(long a, long b) => a > long.MaxValue / b ? long.MaxValue : a * b;

    private static string Count(long value) =>
        (value == long.MaxValue ? "at least " : "") + value.ToString("N0", CultureInfo.InvariantCulture);

    private static string TypeName(TensorElementType type) => type.ToString().ToLowerInvariant();
}
