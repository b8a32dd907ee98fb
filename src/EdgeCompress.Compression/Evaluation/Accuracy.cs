using EdgeCompress.Onnx;

namespace EdgeCompress.Compression.Evaluation;

/// <summary>Running top-1/top-5 accuracy over batches of logits [N, classes] and their labels.</summary>
public sealed class Accuracy
{
    /// <summary>Rows scored.</summary>
    public int Count { get; private set; }

    /// <summary>Rows whose label has the highest score.</summary>
    public int Top1Hits { get; private set; }

    /// <summary>Rows whose label is among the five highest scores.</summary>
    public int Top5Hits { get; private set; }

    /// <summary>Top-1 accuracy in percent (0 when nothing was scored).</summary>
    public double Top1Percent => Count == 0 ? 0 : 100.0 * Top1Hits / Count;

    /// <summary>Top-5 accuracy in percent.</summary>
    public double Top5Percent => Count == 0 ? 0 : 100.0 * Top5Hits / Count;

    /// <summary>Output classes seen (the logits' row length); top-5 says nothing with five or fewer.</summary>
    public int Classes { get; private set; }

    /// <summary>True when top-5 means something: more than five classes.</summary>
    public bool HasTop5 => Classes > 5;

    /// <summary>Scores a batch: <paramref name="logits"/> holds labels.Length rows of equal length.</summary>
    public void Add(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels)
    {
        if (labels.Length == 0)
        {
            return;
        }
        if (logits.Length % labels.Length != 0)
        {
            throw new InputException($"output of {logits.Length} values does not split into {labels.Length} rows");
        }
        var classes = logits.Length / labels.Length;
        Classes = classes;
        for (var r = 0; r < labels.Length; r++)
        {
            var row = logits.Slice(r * classes, classes);
            var label = labels[r];
            if (label < 0 || label >= classes)
            {
                throw new InputException($"label {label} is outside the model's {classes} output classes");
            }
            // Rank = classes an argmax would put first: higher scores, and equal scores at a lower index (argmax
            // takes the first maximum), so a model whose logits all tie is not credited with every label.
            var target = row[label];
            var higher = 0;
            for (var k = 0; k < row.Length; k++)
            {
                if (row[k] > target || (row[k] == target && k < label))
                {
                    higher++;
                }
            }
            Count++;
            Top1Hits += higher == 0 ? 1 : 0;
            Top5Hits += higher < 5 ? 1 : 0;
        }
    }
}
