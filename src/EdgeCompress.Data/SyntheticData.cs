using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Data;

/// <summary>synthetic:N: random inputs shaped from the model, no labels.</summary>
internal static class SyntheticData
{
    /// <summary>Batches of random values (floats in [0, 1), integers 0..9 or below the input's index bound, bools
    /// 0/1) for every input.</summary>
    public static IEnumerable<Sample> Samples(string specText, int? count, IReadOnlyList<InputSpec> inputs, int batchSize, int seed)
    {
        foreach (var input in inputs)
        {
            if (input.Dims.Skip(1).Select((d, i) => (Dim: d, Axis: i + 1)).FirstOrDefault(x => x.Dim <= 0) is { Axis: > 0 } dynamicAxis)
            {
                // A made-up size (1 was used before) fails deep inside the first Conv or Reshape; name the axis instead.
                throw new DataException(
                    $"{specText}: input '{input.Name}' [{string.Join(",", input.Dims.Select(d => d > 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : "?"))}] has a dynamic axis {dynamicAxis.Axis}, so synthetic inputs have no size for it; size it with --input-shape {input.Name}=DIMS, or give data whose tensors fix it");
            }
        }
        foreach (var sample in Generate(count ?? 1, inputs, batchSize, seed))
        {
            yield return sample;
        }
    }

    private static IEnumerable<Sample> Generate(int total, IReadOnlyList<InputSpec> inputs, int batchSize, int seed)
    {
        var random = new Random(seed);
        for (var done = 0; done < total;)
        {
            var fixedBatch = inputs[0].Dims.Length > 0 && inputs[0].Dims[0] > 0;
            var rows = fixedBatch ? (int)inputs[0].Dims[0] : Math.Min(Math.Max(1, batchSize), total - done);
            var tensors = new List<SampleTensor>(inputs.Count);
            foreach (var input in inputs)
            {
                var dims = input.Dims.Select(d => d > 0 ? d : rows).ToArray();
                var n = checked((int)dims.Aggregate(1L, (a, b) => a * b));
                if (DataSpec.IsFloat(input.ElementType))
                {
                    var values = new float[n];
                    for (var i = 0; i < n; i++)
                    {
                        values[i] = (float)random.NextDouble();
                    }
                    tensors.Add(new SampleTensor(input.Name, dims, values, null, input.ElementType));
                }
                else
                {
                    var values = new long[n];
                    var below = input.ElementType == TensorProto.Types.DataType.Bool ? 2 : (int)Math.Clamp(input.IndexBound ?? 10, 1, 10);
                    for (var i = 0; i < n; i++)
                    {
                        values[i] = random.Next(below);
                    }
                    tensors.Add(new SampleTensor(input.Name, dims, null, values, input.ElementType));
                }
            }
            done += rows;
            yield return new Sample(tensors, null);
        }
    }
}
