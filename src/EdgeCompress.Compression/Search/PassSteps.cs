using System.Globalization;
using System.Text.Json.Serialization;
using EdgeCompress.Calibration;
using EdgeCompress.Compression.Factorization;
using EdgeCompress.Compression.Pruning;
using EdgeCompress.Compression.Quantization;
using EdgeCompress.Data;
using EdgeCompress.Onnx;
using EdgeCompress.Profiles;

namespace EdgeCompress.Compression.Search;

/// <summary>
/// One step of a recipe: a pass and its typed settings, as written in recipe JSON (camelCase names, the pass's name in
/// "pass"). A setting left out takes its default; settings that follow the device profile (int8 scheme, channel
/// rounding) stay null until <see cref="ForProfile"/> fills them. The verbs build the same records from their flags,
/// so a verb and a recipe step with the same settings build the same pass.
/// </summary>
public abstract record PassStep
{
    /// <summary>The pass's name in recipes and manifests, e.g. "prune-channels".</summary>
    [JsonIgnore]
    public abstract string Pass { get; }

    /// <summary>Fills the settings left null from <paramref name="profile"/>, or with the pass's defaults when there is none.</summary>
    public virtual PassStep ForProfile(DeviceProfile? profile) => this;

    /// <summary>Checks every setting; throws <see cref="InputException"/> naming the setting (its recipe name) at fault.</summary>
    public abstract void Validate();

    /// <summary>Throws unless <paramref name="value"/> lies in the range (or half-open range) described.</summary>
    private protected static void Fraction(string name, double value, bool zeroAllowed = false, bool oneAllowed = false)
    {
        var ok = (zeroAllowed ? value >= 0 : value > 0) && (oneAllowed ? value <= 1 : value < 1);
        if (!ok)
        {
            throw new InputException(string.Create(CultureInfo.InvariantCulture,
                $"{name} must be in {(zeroAllowed ? "[" : "(")}0, 1{(oneAllowed ? "]" : ")")}, got {value}"));
        }
    }

    /// <summary>Throws unless <paramref name="value"/> is at least <paramref name="least"/>.</summary>
    private protected static void AtLeast(string name, int? value, int least)
    {
        if (value < least)
        {
            throw new InputException($"{name} must be at least {least}, got {value}");
        }
    }
}

/// <summary>Which int8 types activations and weights get: S8S8 (both signed) or U8S8 (unsigned activations).</summary>
public enum Int8Scheme
{
    /// <summary>Signed activations and weights (QDQ on dot-product int8 kernels).</summary>
    [JsonStringEnumMemberName("S8S8")]
    S8S8,

    /// <summary>Unsigned activations, signed weights (x86 without VNNI).</summary>
    [JsonStringEnumMemberName("U8S8")]
    U8S8,
}

/// <summary>"quantize-static": calibrated int8 QDQ.</summary>
public sealed record QuantizeStaticStep : PassStep
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Pass => "quantize-static";

    /// <summary>Activation/weight types; null: the profile's (S8S8 without one).</summary>
    public Int8Scheme? Scheme { get; init; }

    /// <summary>Per-channel weight scales; null: the profile's (true without one).</summary>
    public bool? PerChannel { get; init; }

    /// <summary>7-bit weights for x86 without VNNI; null: the profile's (false without one).</summary>
    public bool? ReduceRange { get; init; }

    /// <summary>How activation ranges are chosen from the calibration data.</summary>
    public CalibrationMethod CalibrationMethod { get; init; } = CalibrationMethod.MinMax;

    /// <summary>Percent of values kept inside the range, for the percentile method.</summary>
    public double Percentile { get; init; } = 99.999;

    /// <summary>Also rank the layers by their error when only that layer is int8 (the manifest's sensitivity table).</summary>
    public bool Sensitivity { get; init; }

    /// <summary>Nodes left in float.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <inheritdoc />
    public override PassStep ForProfile(DeviceProfile? profile) => this with
    {
        Scheme = Scheme ?? (profile?.Quantization.Scheme == "U8S8" ? Int8Scheme.U8S8 : Int8Scheme.S8S8),
        PerChannel = PerChannel ?? profile?.Quantization.PerChannel ?? true,
        ReduceRange = ReduceRange ?? profile?.Quantization.ReduceRange ?? false,
    };

    /// <inheritdoc />
    public override void Validate()
    {
        if (!(Percentile > 50 && Percentile <= 100))
        {
            throw new InputException(string.Create(CultureInfo.InvariantCulture, $"percentile must be in (50, 100], got {Percentile}"));
        }
    }

    /// <summary>The quantizer's options (profile-dependent settings filled first).</summary>
    public QuantizationOptions ToOptions()
    {
        var s = (QuantizeStaticStep)ForProfile(null);
        return new QuantizationOptions
        {
            Mode = QuantizationMode.Static,
            Method = CalibrationMethod,
            Percentile = Percentile,
            PerChannel = s.PerChannel!.Value,
            Activations = s.Scheme == Int8Scheme.U8S8 ? ActivationType.U8 : ActivationType.S8,
            ReduceRange = s.ReduceRange!.Value,
            Exclude = new HashSet<string>(Exclude, StringComparer.Ordinal),
        };
    }
}

/// <summary>"quantize-dynamic": int8 weights, activations quantized at run time (MatMul/Gemm/recurrent models).</summary>
public sealed record QuantizeDynamicStep : PassStep
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Pass => "quantize-dynamic";

    /// <summary>Per-column weight scales.</summary>
    public bool PerChannel { get; init; } = true;

    /// <summary>LSTM/GRU get int8 weight storage only (dequantized at load) instead of int8 arithmetic.</summary>
    public bool WeightOnlyRecurrent { get; init; }

    /// <summary>7-bit weights for x86 without VNNI; null: the profile's (false without one).</summary>
    public bool? ReduceRange { get; init; }

    /// <summary>Nodes left in float.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <inheritdoc />
    public override PassStep ForProfile(DeviceProfile? profile) => this with { ReduceRange = ReduceRange ?? profile?.Quantization.ReduceRange ?? false };

    /// <inheritdoc />
    public override void Validate()
    {
    }

    /// <summary>The quantizer's options (activations are uint8, quantized at run time).</summary>
    public QuantizationOptions ToOptions() => new()
    {
        Mode = QuantizationMode.Dynamic,
        PerChannel = PerChannel,
        Activations = ActivationType.U8,
        ReduceRange = ReduceRange ?? false,
        WeightOnlyRecurrent = WeightOnlyRecurrent,
        Exclude = new HashSet<string>(Exclude, StringComparer.Ordinal),
    };
}

/// <summary>"prune-channels": structured channel pruning (dependent layers pruned together).</summary>
public sealed record PruneChannelsStep : PassStep
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Pass => "prune-channels";

    /// <summary>Fraction of each group's channels removed, in (0, 1).</summary>
    public double Ratio { get; init; } = 0.3;

    /// <summary>A lighter ratio for the layers at the smallest feature maps, in [0, 1); null: the same ratio everywhere.</summary>
    public double? TailRatio { get; init; }

    /// <summary>Channel counts kept are multiples of this; null: the profile's channel rounding (1 without one).</summary>
    public int? RoundTo { get; init; }

    /// <summary>How channel importance is judged (taylor needs calibration data).</summary>
    public ChannelImportanceKind Importance { get; init; } = ChannelImportanceKind.L1;

    /// <summary>One importance ranking across layers instead of the same ratio per layer.</summary>
    public bool Global { get; init; }

    /// <summary>Layers (node names) left whole.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>When not empty, only these layers are pruned.</summary>
    public IReadOnlyList<string> Only { get; init; } = [];

    /// <summary>Ratios for named layers, overriding <see cref="Ratio"/>.</summary>
    public IReadOnlyDictionary<string, double> LayerRatios { get; init; } = new Dictionary<string, double>();

    /// <summary>Re-estimate BatchNormalization statistics on the calibration data after pruning.</summary>
    public bool RecalibrateBatchNorm { get; init; }

    /// <summary>Fine-tune from the unpruned model afterwards (when training and fine-tuning data are available).</summary>
    public bool FineTune { get; init; }

    /// <inheritdoc />
    public override PassStep ForProfile(DeviceProfile? profile) => this with { RoundTo = RoundTo ?? profile?.ChannelRounding ?? 1 };

    /// <inheritdoc />
    public override void Validate()
    {
        Fraction("ratio", Ratio);
        if (TailRatio is { } tail)
        {
            Fraction("tailRatio", tail, zeroAllowed: true);
        }
        AtLeast("roundTo", RoundTo, 1);
        foreach (var (layer, r) in LayerRatios)
        {
            Fraction($"layerRatios.{layer}", r, zeroAllowed: true);
        }
        if (Global && (TailRatio is not null || LayerRatios.Count > 0))
        {
            throw new InputException("tailRatio and layerRatios set ratios per layer, which global ranking decides itself; drop one");
        }
    }

    /// <summary>The pass's options; <paramref name="calibration"/> feeds taylor importance and BatchNorm recalibration.</summary>
    public ChannelPruningOptions ToOptions(DataSpec? calibration, DataSpec? recalibrateBatchNorm = null) => new()
    {
        Ratio = Ratio,
        TailRatio = TailRatio,
        RoundTo = RoundTo ?? 1,
        Importance = Importance,
        Global = Global,
        Exclude = Exclude,
        Only = Only,
        LayerRatios = LayerRatios,
        Calibration = Importance == ChannelImportanceKind.Taylor ? calibration : null,
        RecalibrateBatchNorm = recalibrateBatchNorm ?? (RecalibrateBatchNorm ? calibration : null),
    };
}

/// <summary>"prune-unstructured": magnitude pruning to a sparsity (weights zeroed, shapes kept).</summary>
public sealed record PruneUnstructuredStep : PassStep
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Pass => "prune-unstructured";

    /// <summary>Fraction of the eligible weights set to zero, in (0, 1).</summary>
    public double Sparsity { get; init; } = 0.5;

    /// <summary>Each layer reaches the sparsity on its own (else one threshold for all layers).</summary>
    public bool PerLayer { get; init; }

    /// <summary>Also prune the first and last weighted layers.</summary>
    public bool AllLayers { get; init; }

    /// <summary>Layers (node names) left dense.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <inheritdoc />
    public override void Validate() => Fraction("sparsity", Sparsity);

    /// <summary>The pass's options.</summary>
    public UnstructuredPruningOptions ToOptions() => new()
    {
        Sparsity = Sparsity,
        PerLayer = PerLayer,
        IncludeFirstAndLast = AllLayers,
        Exclude = Exclude,
    };
}

/// <summary>"factorize": low-rank factorization (SVD, Tucker-2, CP) of convolutions and matrices.</summary>
public sealed record FactorizeStep : PassStep
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Pass => "factorize";

    /// <summary>Target fraction of the parameters kept, in (0, 1); ranks spread by error per parameter saved.</summary>
    public double? Params { get; init; }

    /// <summary>Per layer, the smallest rank keeping this fraction of the singular-value energy, in (0, 1] (the default, 0.95).</summary>
    public double? Energy { get; init; }

    /// <summary>Per layer, the rank variational Bayesian matrix factorisation estimates.</summary>
    public bool Auto { get; init; }

    /// <summary>One rank for every layer.</summary>
    public int? Rank { get; init; }

    /// <summary>Ranks for named layers.</summary>
    public IReadOnlyDictionary<string, int> NodeRanks { get; init; } = new Dictionary<string, int>();

    /// <summary>Which decomposition convolutions get.</summary>
    public FactorMethod Method { get; init; } = FactorMethod.Auto;

    /// <summary>Ranks are multiples of this; null: the profile's channel rounding (1 without one).</summary>
    public int? RoundTo { get; init; }

    /// <summary>A layer is factorized only when it saves at least this fraction of its parameters, in [0, 1).</summary>
    public double MinSaving { get; init; } = 0.1;

    /// <summary>Layers (node names) left whole.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Fine-tune from the unfactorized model afterwards (when training and fine-tuning data are available).</summary>
    public bool FineTune { get; init; }

    /// <inheritdoc />
    public override PassStep ForProfile(DeviceProfile? profile) => this with { RoundTo = RoundTo ?? profile?.ChannelRounding ?? 1 };

    /// <summary>How the ranks are chosen.</summary>
    [JsonIgnore]
    public RankSelection Selection => Params is not null ? RankSelection.ParamsFraction
        : Auto ? RankSelection.Auto
        : Rank is not null || NodeRanks.Count > 0 ? RankSelection.Fixed
        : RankSelection.Energy;

    /// <inheritdoc />
    public override void Validate()
    {
        var chosen = (Params is null ? 0 : 1) + (Energy is null ? 0 : 1) + (Auto ? 1 : 0) + (Rank is null && NodeRanks.Count == 0 ? 0 : 1);
        if (chosen > 1)
        {
            throw new InputException("choose one of params, energy, auto or rank/nodeRanks");
        }
        if (Params is { } p)
        {
            Fraction("params", p);
        }
        if (Energy is { } e)
        {
            Fraction("energy", e, oneAllowed: true);
        }
        AtLeast("rank", Rank, 1);
        foreach (var (node, rank) in NodeRanks)
        {
            AtLeast($"nodeRanks.{node}", rank, 1);
        }
        AtLeast("roundTo", RoundTo, 1);
        Fraction("minSaving", MinSaving, zeroAllowed: true);
    }

    /// <summary>The pass's options; <paramref name="calibration"/> measures each layer's output error when ranks follow
    /// a parameter target (the options refuse it otherwise).</summary>
    public FactorizeOptions ToOptions(DataSpec? calibration) => new()
    {
        Selection = Selection,
        Energy = Energy ?? 0.95,
        ParamsFraction = Params ?? 0.5,
        Rank = Rank,
        NodeRanks = NodeRanks,
        Method = Method,
        RoundTo = RoundTo ?? 1,
        MinSaving = MinSaving,
        Exclude = Exclude.ToHashSet(StringComparer.Ordinal),
        Calibration = calibration,
    };
}

/// <summary>"distill-student": a new smaller model distilled from this one (needs the training worker).</summary>
public sealed record DistillStudentStep : PassStep
{
    /// <inheritdoc />
    [JsonIgnore]
    public override string Pass => "distill-student";

    /// <summary>The student: "thin@W" (this graph at width W) or a named architecture such as "mobilenet-v2@0.5".</summary>
    public string Arch { get; init; } = "thin@0.5";

    /// <summary>Training epochs.</summary>
    public int Epochs { get; init; } = 3;

    /// <inheritdoc />
    public override void Validate()
    {
        if (string.IsNullOrWhiteSpace(Arch))
        {
            throw new InputException("arch must name a student, e.g. thin@0.5");
        }
        AtLeast("epochs", Epochs, 1);
    }
}
