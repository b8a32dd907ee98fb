using System.Globalization;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Compression.Execution;

/// <summary>
/// <c>--input-shape NAME=1x16000</c>: fixes a model's dynamic input axes for the work (data, calibration, shape
/// probes, the guard) and puts them back in the model written, so an audio front end with a dynamic sample axis
/// is compressed at a size the user chose and still accepts any size afterwards. The batch axis (axis 0) stays as
/// the model declares it, so data still runs in batches. One choke point: every verb that runs a model fixes its
/// input here and restores it here.
/// </summary>
public sealed class InputShapeOverride
{
    private readonly Dictionary<string, TensorShapeProto> _declared = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TensorShapeProto> _declaredOutputs = new(StringComparer.Ordinal);

    private InputShapeOverride(IReadOnlyDictionary<string, long[]> shapes) => Shapes = shapes;

    /// <summary>The shapes as given (name -> dims, batch included).</summary>
    public IReadOnlyDictionary<string, long[]> Shapes { get; }

    /// <summary>
    /// Fixes the named inputs of <paramref name="model"/> (edited in place). Throws <see cref="DataException"/>
    /// naming the input and axis for an unknown input, a rank mismatch, or a size that contradicts a fixed axis.
    /// </summary>
    public static InputShapeOverride Apply(OnnxModel model, IReadOnlyDictionary<string, long[]> shapes)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(shapes);
        var result = new InputShapeOverride(shapes);
        if (shapes.Count == 0)
        {
            return result;
        }
        var inputs = model.Graph.RealInputs.ToList();
        foreach (var (name, dims) in shapes)
        {
            var input = inputs.FirstOrDefault(i => i.Name == name)
                ?? throw new DataException($"--input-shape {name}: {Label(model)} has no input '{name}' (its inputs: {string.Join(", ", inputs.Select(i => i.Name))})");
            var shape = input.Type?.TensorType?.Shape
                ?? throw new DataException($"--input-shape {name}: input '{name}' of {Label(model)} declares no shape to fix");
            if (shape.Dim.Count != dims.Length)
            {
                throw new DataException(string.Create(CultureInfo.InvariantCulture,
                    $"--input-shape {name}={Text(dims)}: input '{name}' has {shape.Dim.Count} axes [{Declared(shape)}], not {dims.Length}"));
            }
            result._declared[name] = shape.Clone();
            for (var axis = 0; axis < dims.Length; axis++)
            {
                var d = shape.Dim[axis];
                if (d.HasDimValue && d.DimValue > 0)
                {
                    if (d.DimValue != dims[axis])
                    {
                        throw new DataException(string.Create(CultureInfo.InvariantCulture,
                            $"--input-shape {name}={Text(dims)}: axis {axis} of input '{name}' is fixed at {d.DimValue} [{Declared(shape)}]"));
                    }
                    continue;
                }
                if (axis > 0)
                {
                    d.DimValue = dims[axis];
                }
            }
        }
        foreach (var output in model.Graph.Proto.Output)
        {
            if (output.Type?.TensorType?.Shape is { } s)
            {
                result._declaredOutputs[output.Name] = s.Clone();
            }
        }
        return result;
    }

    /// <summary>
    /// The shapes <paramref name="given"/> plus, for every input that still has a dynamic axis past the batch, the
    /// dims of the first sample <paramref name="data"/> gives (batch 1): the size the data fixes, so work that needs
    /// a static input (latency loops, shape probes) runs at the size the data has. Inputs already static or given
    /// are left alone; the data is not opened when nothing is dynamic.
    /// </summary>
    public static IReadOnlyDictionary<string, long[]> ImpliedByData(OnnxModel model, DataSpec data, IReadOnlyDictionary<string, long[]> given)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(given);
        var inputs = ModelInputs.Of(model);
        var open = inputs.Where(i => !given.ContainsKey(i.Name) && i.Dims.Skip(1).Any(d => d <= 0)).Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        if (open.Count == 0 || data.Kind == DataKind.Synthetic)
        {
            return given;
        }
        var first = data.Open(inputs, 1).FirstOrDefault();
        var result = new Dictionary<string, long[]>(given, StringComparer.Ordinal);
        for (var i = 0; first is not null && i < inputs.Count && i < first.Inputs.Count; i++)
        {
            if (open.Contains(inputs[i].Name) && first.Inputs[i].Dims.Length == inputs[i].Dims.Length)
            {
                result[inputs[i].Name] = [1, .. first.Inputs[i].Dims.Skip(1)];
            }
        }
        return result;
    }

    /// <summary>
    /// Puts the declared (dynamic) input and output shapes back into a model made from the fixed one, and drops
    /// the intermediate shapes recorded while the axes were fixed (ONNX Runtime infers them again on load).
    /// </summary>
    public void Restore(OnnxModel output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (_declared.Count == 0)
        {
            return;
        }
        foreach (var v in output.Graph.Proto.Input.Where(i => _declared.ContainsKey(i.Name)))
        {
            v.Type.TensorType.Shape = _declared[v.Name].Clone();
        }
        foreach (var v in output.Graph.Proto.Output.Where(o => _declaredOutputs.ContainsKey(o.Name) && o.Type?.TensorType is not null))
        {
            v.Type.TensorType.Shape = _declaredOutputs[v.Name].Clone();
        }
        output.Graph.RemoveValueInfo(_ => true);
    }

    private static string Label(OnnxModel model) => model.SourcePath is { } p ? Path.GetFileName(p) : "the model";

    private static string Text(long[] dims) => string.Join("x", dims.Select(d => d.ToString(CultureInfo.InvariantCulture)));

    private static string Declared(TensorShapeProto shape) => string.Join(",", shape.Dim.Select(d =>
        d.HasDimValue && d.DimValue > 0 ? d.DimValue.ToString(CultureInfo.InvariantCulture) : d.HasDimParam ? d.DimParam : "?"));
}
