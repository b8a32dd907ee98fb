using System.CommandLine;
using System.Globalization;
using EdgeCompress.Data;
using EdgeCompress.Fleet;
using EdgeCompress.Training;

namespace EdgeCompress.Cli.Commands;

/// <summary>Options and the run loop shared by train, distill and qat.</summary>
internal sealed class TrainingFlags
{
    private readonly Option<string?> _eval = new("--eval") { Description = "labelled held-out SPEC for accuracy after each epoch (default fashion-mnist:test for Fashion-MNIST data; 'none' to skip)" };
    private readonly Option<int> _batch = new("--batch-size") { Description = "mini-batch size", DefaultValueFactory = _ => 128 };
    private readonly Option<double> _lr;
    private readonly Option<int> _seed = new("--seed") { Description = "seed for initialisation, shuffling and dropout", DefaultValueFactory = _ => 1 };
    private readonly Option<bool> _resume = new("--resume") { Description = "continue from the checkpoint (OUT.ckpt) an interrupted run left" };
    private readonly Option<int> _threads = new("--threads") { Description = "CPU threads (0: all cores)", DefaultValueFactory = _ => 0 };
    private readonly Option<bool> _augment = new("--augment") { Description = "random flips and 2-pixel shifts" };
    private readonly Option<int?> _maxSteps = new("--max-steps") { Description = "stop after this many steps (smoke runs)" };

    private TrainingFlags(double defaultLearningRate) =>
        _lr = new("--lr") { Description = "peak learning rate (one-cycle, SGD Nesterov)", DefaultValueFactory = _ => defaultLearningRate };

    /// <summary>The shared options; fine-tuning verbs start from trained weights and want a smaller step.</summary>
    public static TrainingFlags Create(double defaultLearningRate = 0.05) => new(defaultLearningRate);

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _eval, _batch, _lr, _seed, _resume, _threads, _augment, _maxSteps })
        {
            command.Options.Add(o);
        }
    }

    public WorkerRequest Request(ParseResult parse, string command, string dataSpec, FileInfo output, int epochs)
    {
        var data = DataSpec.Parse(dataSpec);
        var eval = parse.GetValue(_eval);
        if (eval is null && data.Kind == DataKind.FashionMnist)
        {
            eval = "fashion-mnist:test";
        }
        else if (eval == "none")
        {
            eval = null;
        }
        if (eval is not null && !DataSpec.Parse(eval).IsLabelled)
        {
            throw new UsageException($"--eval {eval}: needs labelled data (fashion-mnist:test)");
        }
        if (epochs < 1)
        {
            throw new UsageException($"--epochs {epochs}: must be at least 1");
        }
        if (parse.GetValue(_batch) < 1 || parse.GetValue(_lr) <= 0)
        {
            throw new UsageException("--batch-size must be at least 1 and --lr above 0");
        }
        if (output.Directory is { Exists: false } dir)
        {
            throw new UsageException($"--out {output}: folder {dir.FullName} does not exist");
        }
        return new WorkerRequest
        {
            Command = command,
            Data = dataSpec,
            EvalData = eval,
            OutputPath = output.FullName,
            Epochs = epochs,
            BatchSize = parse.GetValue(_batch),
            LearningRate = parse.GetValue(_lr),
            Seed = parse.GetValue(_seed),
            Resume = parse.GetValue(_resume),
            Threads = parse.GetValue(_threads),
            Augment = parse.GetValue(_augment),
            MaxSteps = parse.GetValue(_maxSteps),
        };
    }

    public static async Task<int> RunAsync(CliContext ctx, WorkerRequest request, CancellationToken ct)
    {
        var client = new TrainingClient();
        client.Log += line => ctx.Error.WriteLine(line);
        var progress = new SyncProgress<TrainingProgress>(p => ctx.Error.WriteLine(ProgressText.Format(p)));
        // A TrainingException goes to the exit mapper: bad input or setup 2, a failure in the worker 1.
        var result = await client.RunAsync(request, progress, ct).ConfigureAwait(false);
        if (result.Cancelled)
        {
            await ctx.Error.WriteLineAsync($"edgec: interrupted; no model written; checkpoint kept in {result.CheckpointPath}; rerun with --resume to continue").ConfigureAwait(false);
            return EdgecApp.ExitInterrupted;
        }
        var c = CultureInfo.InvariantCulture;
        var accuracy = result.Accuracy is { } a ? string.Create(c, $", accuracy {a * 100:F2}% on {request.EvalData}") : "";
        if (result.FloatAccuracy is { } fa && result.PtqAccuracy is { } pa && result.Accuracy is { } qa)
        {
            // QAT: the three figures that say whether it was worth it.
            var lost = fa - pa;
            var recovered = lost > 0 ? string.Create(c, $", {100 * (qa - pa) / lost:F0}% of the PTQ loss recovered") : "";
            await ctx.Out.WriteLineAsync(string.Create(c,
                $"float {fa * 100:F2}%, static PTQ {pa * 100:F2}% ({(pa - fa) * 100:+0.00;-0.00} pt), QAT {qa * 100:F2}% ({(qa - fa) * 100:+0.00;-0.00} pt){recovered}")).ConfigureAwait(false);
        }
        await ctx.Out.WriteLineAsync(string.Create(c,
            $"wrote {request.OutputPath}{accuracy}, {result.Parameters:N0} parameters, {result.Steps} steps in {ProgressText.Duration(result.Seconds)} on {result.Threads} threads")).ConfigureAwait(false);
        return EdgecApp.ExitOk;
    }
}
