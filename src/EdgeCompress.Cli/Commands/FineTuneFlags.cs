using System.CommandLine;
using System.Globalization;
using EdgeCompress.Training;

namespace EdgeCompress.Cli.Commands;

/// <summary>
/// `--finetune-epochs` and `--finetune-lr`, shared by the verbs that fine-tune after compressing (prune, factorize,
/// optimize): how long and how hard the distillation from the original runs.
/// </summary>
internal sealed class FineTuneFlags
{
    private static readonly FineTuneOptions Defaults = new();

    public Option<int> Epochs { get; } = new("--finetune-epochs")
    {
        Description = "passes over the fine-tuning data",
        DefaultValueFactory = _ => Defaults.Epochs,
    };

    public Option<double> LearningRate { get; } = new("--finetune-lr")
    {
        Description = "peak learning rate of the fine-tuning (one-cycle)",
        DefaultValueFactory = _ => Defaults.LearningRate,
    };

    public Option<bool> Augment { get; } = new("--finetune-augment")
    {
        Description = "random flips and 2-pixel shifts while fine-tuning; the teacher labels the same shifted images (runs per batch, about 15% slower)",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Epochs);
        command.Options.Add(LearningRate);
        command.Options.Add(Augment);
    }

    /// <summary>
    /// A search's --finetune SPEC (optimize, demo): null for none; otherwise it must be labelled, because the search
    /// compares candidates by accuracy after fine-tuning. A usage error names the flag.
    /// </summary>
    public static string? LabelledData(string? spec)
    {
        if (spec is null || spec == "none")
        {
            return null;
        }
        if (!EdgeCompress.Data.DataSpec.Parse(spec).IsLabelled)
        {
            throw new UsageException($"--finetune {spec}: fine-tuning needs labelled data, e.g. fashion-mnist:train (or none)");
        }
        return spec;
    }

    /// <summary>The training options the flags give; a usage error for values no run can use.</summary>
    public FineTuneOptions Options(ParseResult parse)
    {
        var epochs = parse.GetValue(Epochs);
        var lr = parse.GetValue(LearningRate);
        if (epochs is < 1 or > 1000)
        {
            throw new UsageException($"--finetune-epochs {epochs}: must be 1 to 1000");
        }
        if (!(lr > 0 && lr < 10))
        {
            throw new UsageException($"--finetune-lr {lr.ToString(CultureInfo.InvariantCulture)}: must be above 0 and below 10");
        }
        return Defaults with { Epochs = epochs, LearningRate = lr, Augment = parse.GetValue(Augment) };
    }
}
