using System.CommandLine;
using EdgeCompress.Cli.Commands;
using EdgeCompress.Onnx;
using EdgeCompress.Runtime;

namespace EdgeCompress.Cli;

/// <summary>The edgec command tree. Commands write to the given writers so tests can run them in process.</summary>
public static class EdgecApp
{
    /// <summary>Exit code: the work succeeded.</summary>
    public const int ExitOk = 0;

    /// <summary>Exit code: the work ran but failed its own check (e.g. an accuracy budget was missed).</summary>
    public const int ExitCheckFailed = 1;

    /// <summary>Exit code: bad input or usage.</summary>
    public const int ExitUsage = 2;

    /// <summary>Exit code: interrupted (Ctrl-C).</summary>
    public const int ExitInterrupted = 130;

    /// <summary>Builds the root command with every verb. Each verb lives in Commands/ as a static Create(CliContext).</summary>
    public static RootCommand BuildRoot(CliContext ctx)
    {
        var root = new RootCommand("edgec: compress ONNX models for ARM edge boards and measure them on the device.");
        foreach (var command in AllCommands(ctx))
        {
            root.Subcommands.Add(command);
        }
        return root;
    }

    private static IEnumerable<Command> AllCommands(CliContext ctx)
    {
        // One line per verb; keep them in the order of ARCHITECTURE.md.
        yield return InspectCommand.Create(ctx);
        yield return QuantizeCommand.Create(ctx);
        yield return PruneCommand.Create(ctx);
        yield return FactorizeCommand.Create(ctx);
        yield return TrainCommand.Create(ctx);
        yield return DistillCommand.Create(ctx);
        yield return QatCommand.Create(ctx);
        yield return EvalCommand.Create(ctx);
        yield return DataCommand.Create(ctx);
        yield return OptimizeCommand.Create(ctx);
        yield return RecipesCommand.Create(ctx);
        yield return DevicesCommand.Create(ctx);
        yield return PushCommand.Create(ctx);
        yield return BenchCommand.Create(ctx);
        yield return ResultsCommand.Create(ctx);
        yield return ReportCommand.Create(ctx);
        yield return DemoCommand.Create(ctx);
    }

    /// <summary>Parses and runs one edgec invocation.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default) =>
        RunAsync(args, stdout, stderr, null, cancellationToken);

    /// <summary>Parses and runs one edgec invocation in <paramref name="environment"/> (null: this process's).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, EdgecEnvironment? environment, CancellationToken cancellationToken = default)
    {
        var ctx = new CliContext(stdout, stderr, environment);
        var root = BuildRoot(ctx);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
            {
                await stderr.WriteLineAsync($"edgec: {e.Message}").ConfigureAwait(false);
            }
            return ExitUsage;
        }
        // Ctrl-C / SIGTERM cancel the command's token; a command gets 3 s to stop cleanly (temp files removed, nothing
        // half-written renamed into place, "edgec: interrupted" and 130 from Guarded) before the invocation returns 130
        // itself. System.CommandLine 2.0.0 leaves this null, which let the runtime kill edgec at once, mid-write.
        var config = new InvocationConfiguration { Output = stdout, Error = stderr, ProcessTerminationTimeout = TimeSpan.FromSeconds(3) };
        return await parse.InvokeAsync(config, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The one choke point turning failures into what a user sees, one "edgec: ..." line and the exit code
    /// <see cref="ExitCodes"/> gives (bad input 2, failed work 1, Ctrl-C 130, a fault 1 with its type named and the
    /// stack trace with EDGEC_DEBUG=1). Every command's action goes through here.
    /// </summary>
    public static Func<ParseResult, CancellationToken, Task<int>> Guarded(CliContext ctx, Func<ParseResult, CancellationToken, Task<int>> action) =>
        async (parse, ct) =>
        {
            try
            {
                return await action(parse, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                var outcome = ExitCodes.Of(e);
                await ctx.Error.WriteLineAsync($"edgec: {outcome.Line}").ConfigureAwait(false);
                if (outcome.Fault && Environment.GetEnvironmentVariable("EDGEC_DEBUG") is "1")
                {
                    await ctx.Error.WriteLineAsync(e.ToString()).ConfigureAwait(false);
                }
                return outcome.Code;
            }
        };
}
