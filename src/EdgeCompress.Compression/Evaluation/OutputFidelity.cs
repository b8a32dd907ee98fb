using System.Globalization;
using EdgeCompress.Compression.Execution;

namespace EdgeCompress.Compression.Evaluation;

/// <summary>What an output holds, which decides the measure that judges it.</summary>
public enum OutputKind
{
    /// <summary>One value in [0, 1] per sample (a sigmoid score): judged by absolute difference and decision agreement.</summary>
    Score,

    /// <summary>A small vector per sample in [0, 1] summing to 1 (softmax): absolute difference and argmax agreement.</summary>
    Probabilities,

    /// <summary>A vector per sample of unbounded values (classifier logits): top-1 agreement with the original.</summary>
    Logits,

    /// <summary>Anything larger (masks, feature maps, boxes, embeddings): SQNR in dB and relative L2 error.</summary>
    Dense,
}

/// <summary>
/// One output of a candidate compared with the same output of the original model, streamed batch by batch: cosine
/// over the whole batch plus the measure that fits the output's kind. Why per output and never pooled: a pooled
/// cosine is dominated by the largest output (or is 1.0 for one positive scalar), so a wake-word score that fell
/// from 0.998 to 0.296 read as "cosine 1.00000".
/// </summary>
public sealed class OutputFidelity
{
    private readonly Fidelity _fidelity = new();
    private long _rows;
    private long _agree;
    private float[]? _firstRow;
    private double _spreadEnergy;
    private double _laterEnergy;
    private long _laterRows;

    /// <summary>Below this <see cref="InputSpread"/> the original's output is taken as independent of the input
    /// (float32 noise is about 1e-7): untrained or collapsed weights, where every candidate "matches".</summary>
    public const double MinInputSpread = 1e-4;

    /// <summary>Starts a comparison of output <paramref name="name"/>; the kind is found from the first batch unless given.</summary>
    public OutputFidelity(string name, OutputKind? kind = null, double threshold = 0.5)
    {
        Name = name;
        Kind = kind;
        Threshold = threshold;
    }

    /// <summary>Output name.</summary>
    public string Name { get; }

    /// <summary>What the output holds (null until the first batch).</summary>
    public OutputKind? Kind { get; private set; }

    /// <summary>Values per sample (classes, for a classifier's output).</summary>
    public long Width { get; private set; }

    /// <summary>Decision threshold for a score.</summary>
    public double Threshold { get; }

    /// <summary>Cosine similarity over every value of this output.</summary>
    public double Cosine => _fidelity.Cosine;

    /// <summary>Largest absolute difference.</summary>
    public double MaxAbsDifference => _fidelity.MaxAbsError;

    /// <summary>Mean absolute difference.</summary>
    public double MeanAbsDifference => _fidelity.MeanAbsError;

    /// <summary>Signal-to-quantisation-noise ratio in dB (infinite when equal).</summary>
    public double SqnrDb => _fidelity.MeanSquaredError == 0 ? double.PositiveInfinity : 10 * Math.Log10(_fidelity.ReferenceEnergy / _fidelity.Count / _fidelity.MeanSquaredError);

    /// <summary>Root of the error energy over the signal energy.</summary>
    public double RelativeL2 => _fidelity.ReferenceEnergy == 0 ? (_fidelity.MeanSquaredError == 0 ? 0 : double.PositiveInfinity) : Math.Sqrt(_fidelity.MeanSquaredError * _fidelity.Count / _fidelity.ReferenceEnergy);

    /// <summary>How much the original's output changes between samples relative to its size (null before two
    /// samples were seen).</summary>
    public double? InputSpread => _laterRows == 0 ? null : _laterEnergy == 0 ? (_spreadEnergy == 0 ? 0 : 1) : Math.Sqrt(_spreadEnergy / _laterEnergy);

    /// <summary>True when the original's output hardly depends on the input.</summary>
    public bool InputIndependent => InputSpread is < MinInputSpread;

    // Every sample after the first is compared with the first: the energy of the difference and of the sample.
    private void AddSpread(float[] values, int width)
    {
        if (width <= 0 || values.Length % width != 0)
        {
            return;
        }
        for (var at = 0; at < values.Length; at += width)
        {
            var row = values.AsSpan(at, width);
            if (_firstRow is null)
            {
                _firstRow = row.ToArray();
                continue;
            }
            for (var i = 0; i < width; i++)
            {
                double d = row[i] - _firstRow[i];
                _spreadEnergy += d * d;
                _laterEnergy += (double)row[i] * row[i];
            }
            _laterRows++;
        }
    }

    /// <summary>Percent of samples whose decision (score over the threshold, or argmax) matches the original's; null for dense outputs.</summary>
    public double? AgreementPercent => Kind is OutputKind.Dense || _rows == 0 ? null : 100.0 * _agree / _rows;

    /// <summary>Adds one batch of this output from the original and the candidate.</summary>
    public void Add(RunOutput reference, RunOutput candidate)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(candidate);
        Kind ??= KindOf(reference);
        _fidelity.Add(reference.Values, candidate.Values);
        Width = reference.Values.Length / (reference.Dims.Length == 0 ? 1 : Math.Max(1, reference.Dims[0]));
        AddSpread(reference.Values, (int)Width);
        if (Kind is OutputKind.Dense)
        {
            return;
        }
        var rows = reference.Dims.Length == 0 ? 1 : Math.Max(1, (int)reference.Dims[0]);
        var width = reference.Values.Length / rows;
        for (var r = 0; r < rows; r++)
        {
            var a = reference.Values.AsSpan(r * width, width);
            var b = candidate.Values.AsSpan(r * width, width);
            var same = Kind is OutputKind.Score
                ? (a[0] >= Threshold) == (b[0] >= Threshold)
                : ArgMax(a) == ArgMax(b);
            _agree += same ? 1 : 0;
        }
        _rows += rows;
    }

    /// <summary>
    /// The kind from the original's values: one value per sample in [0, 1] is a score; a vector of up to 1000 values
    /// per sample is probabilities when every row lies in [0, 1] and sums to 1, else logits; anything else is dense.
    /// </summary>
    public static OutputKind KindOf(RunOutput reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var rows = reference.Dims.Length == 0 ? 1 : Math.Max(1, reference.Dims[0]);
        var perSample = reference.Values.Length / rows;
        var inUnit = reference.Values.All(v => v is >= 0 and <= 1);
        if (perSample == 1)
        {
            return inUnit ? OutputKind.Score : OutputKind.Logits;
        }
        var vector = reference.Dims.Length <= 2 || reference.Dims.Skip(2).All(d => d == 1);
        if (!vector || perSample > 1000)
        {
            return OutputKind.Dense;
        }
        if (inUnit)
        {
            var sumsToOne = true;
            for (var r = 0; r < rows && sumsToOne; r++)
            {
                double sum = 0;
                foreach (var v in reference.Values.AsSpan((int)(r * perSample), (int)perSample))
                {
                    sum += v;
                }
                sumsToOne = Math.Abs(sum - 1) < 1e-3;
            }
            if (sumsToOne)
            {
                return OutputKind.Probabilities;
            }
        }
        return OutputKind.Logits;
    }

    /// <summary>The figures that judge this output, named, e.g. "score: max |diff| 0.7020, mean |diff| 0.6480, decisions agree 0.0% (threshold 0.5)".</summary>
    public string Describe()
    {
        var c = CultureInfo.InvariantCulture;
        var figures = Kind switch
        {
            OutputKind.Score => string.Create(c, $"score: max |diff| {MaxAbsDifference:F4}, mean |diff| {MeanAbsDifference:F4}, decisions agree {AgreementPercent:F1}% (threshold {Threshold}), cosine {Cosine:F5}"),
            OutputKind.Probabilities => string.Create(c, $"probabilities: max |diff| {MaxAbsDifference:F4}, mean |diff| {MeanAbsDifference:F4}, argmax agrees {AgreementPercent:F1}%, cosine {Cosine:F5}"),
            OutputKind.Logits => string.Create(c, $"logits: top-1 agrees {AgreementPercent:F1}%, cosine {Cosine:F5}"),
            _ => string.Create(c, $"dense: SQNR {SqnrDb:F1} dB, relative L2 {RelativeL2:F4}, cosine {Cosine:F5}"),
        };
        return InputIndependent
            ? figures + string.Create(c, $"; but the original's output hardly changes with the input (spread {InputSpread:0.0e+0} over {_laterRows + 1} samples), so these figures cannot judge quality")
            : figures;
    }

    /// <summary>The figures as the manifest records them.</summary>
    public Manifest.ManifestOutput ToManifest() => new()
    {
        Name = Name,
        Kind = (Kind ?? OutputKind.Dense).ToString().ToLowerInvariant(),
        Cosine = Cosine,
        MaxAbsDifference = MaxAbsDifference,
        MeanAbsDifference = MeanAbsDifference,
        AgreementPercent = AgreementPercent,
        SqnrDb = Kind is OutputKind.Dense && double.IsFinite(SqnrDb) ? SqnrDb : null,
        InputSpread = InputSpread,
        Summary = Describe(),
    };

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        var best = 0;
        for (var i = 1; i < row.Length; i++)
        {
            if (row[i] > row[best])
            {
                best = i;
            }
        }
        return best;
    }
}
