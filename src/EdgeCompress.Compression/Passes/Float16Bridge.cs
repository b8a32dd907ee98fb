using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Passes;

/// <summary>
/// Runs a float32 pass on a float16 model: converts it (<see cref="Float16Precision"/>), applies the pass, writes the
/// result back in float16 and says so in the record. Every pass calls it first, so float16 models are treated alike.
/// </summary>
public static class Float16Bridge
{
    /// <summary>The pass's result in float16, or null when <paramref name="model"/> has nothing in float16.</summary>
    public static PassResult? TryRun(OnnxModel model, Func<OnnxModel, PassResult> apply)
    {
        if (InFloat32(model, apply) is not { } run)
        {
            return null;
        }
        var (result, record) = run;
        var written = Float16Precision.ToFloat16(result.Model, record);
        result.Record.Settings["precision"] = "float16 (computed in float32)";
        result.Record.Warnings.Insert(0, Float16Precision.Note);
        // Sizes a pass measured on the float32 copy would be twice the real ones.
        var totals = result.Record.Totals;
        if (totals.ContainsKey("bytes_before") || totals.ContainsKey("gzip_bytes_before"))
        {
            var before = model.ToBytes();
            var after = written.ToBytes();
            totals["bytes_before"] = before.Length;
            totals["bytes_after"] = after.Length;
            if (totals.ContainsKey("gzip_bytes_before"))
            {
                totals["gzip_bytes_before"] = Pruning.UnstructuredPruningPass.GzipBytes(before);
                totals["gzip_bytes_after"] = Pruning.UnstructuredPruningPass.GzipBytes(after);
            }
        }
        return new PassResult(written, result.Record);
    }

    /// <summary>
    /// A quantizing pass on a float16 model: computed in float32, written with int8 weights and float32 inside, the
    /// float16 inputs and outputs kept (<see cref="Float16Precision.KeepInterface"/>). Null when nothing is float16.
    /// </summary>
    public static PassResult? TryRunQuantizing(OnnxModel model, Func<OnnxModel, PassResult> apply)
    {
        if (InFloat32(model, apply) is not { } run)
        {
            return null;
        }
        var (result, record) = run;
        result.Record.Settings["precision"] = "float16 model (quantized in float32)";
        result.Record.Warnings.Insert(0, Float16Precision.QuantizedNote);
        return new PassResult(Float16Precision.KeepInterface(result.Model, record), result.Record);
    }

    /// <summary>The pass applied to a float32 copy of a float16 model, with what was float16; null when nothing was.</summary>
    private static (PassResult Result, Float16Record Record)? InFloat32(OnnxModel model, Func<OnnxModel, PassResult> apply)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(apply);
        if (!Float16Precision.Applies(model))
        {
            return null;
        }
        var (float32, record) = Float16Precision.ToFloat32(model);
        return (apply(float32), record);
    }
}
