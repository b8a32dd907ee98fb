using System.Globalization;
using EdgeCompress.Compression.Passes;
using EdgeCompress.Data;
using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Search;

/// <summary>Trains a fresh small student from a teacher's soft targets (the training worker).</summary>
public interface IStudentTrainer
{
    /// <summary>
    /// Builds a student of architecture <paramref name="arch"/> (e.g. "thin@0.5": the teacher's graph at half the
    /// width, or "mobilenet-v2@0.5") and distils it from <paramref name="teacher"/> on <paramref name="data"/>.
    /// </summary>
    Task<OnnxModel> DistillStudentAsync(OnnxModel teacher, string arch, DataSpec data, int epochs, IProgress<string>? progress, CancellationToken cancellationToken);
}

/// <summary>
/// The search's fifth technique: replace the model by a distilled student. Unlike the other passes the output graph
/// is new, so the record states parameters before and after for the whole model rather than per layer.
/// </summary>
public sealed class DistillStudentPass(IStudentTrainer trainer, string arch, int epochs, DataSpec data) : ICompressionPass
{
    /// <inheritdoc />
    public string Name => "distill-student";

    /// <inheritdoc />
    public PassResult Apply(OnnxModel model, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var student = trainer.DistillStudentAsync(model, arch, data, epochs, progress, cancellationToken).GetAwaiter().GetResult();
        var record = new PassRecord(Name);
        record.Settings["arch"] = arch;
        record.Settings["epochs"] = epochs.ToString(CultureInfo.InvariantCulture);
        record.Settings["data"] = data.Text;
        record.Totals["params_before"] = model.Graph.Initializers.Values.Sum(TensorData.ElementCount);
        record.Totals["params_after"] = student.Graph.Initializers.Values.Sum(TensorData.ElementCount);
        return new PassResult(student, record);
    }
}
